// Keeps `npm run bench:dev` from rotting: runs it with the fewest rounds (one cold and one warm
// start of the shop, one reload) and checks its result line. Timings are printed, never asserted.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('bench:dev prints {"bench":"dev","ready_ms":…,"reload_ms":…,"new_ms":…} for the shop and outrig new', async () => {
  const { stdout } = await run(
    process.execPath,
    [join(import.meta.dirname, '..', 'bench', 'dev.bench.ts'), '--rounds', '2', '--reloads', '1'],
    { timeout: 540_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  expect(Object.keys(last).slice(0, 3)).toEqual(['bench', 'ready_ms', 'reload_ms']);
  expect(last.bench).toBe('dev');
  expect(last.ready_ms).toBeGreaterThan(0);
  expect(last.reload_ms).toBeGreaterThan(0);
  expect(last.new_ms).toBeGreaterThan(0);
  console.log(stdout.trim().split('\n').at(-1));
}, 600_000);
