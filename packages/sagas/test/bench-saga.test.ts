import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { serverAvailable } from '@outrig/testing';
import { describe, expect, it } from 'vitest';

const hasPg = await serverAvailable('postgres');
const root = path.join(import.meta.dirname, '..', '..', '..');

// The benchmark runs (briefly) and prints its JSON line; its figures are never asserted.
describe.skipIf(!hasPg)('npm run bench:saga', () => {
  it('prints {"bench":"saga", sagas_per_s, p50_ms, p99_ms, transitions_per_s, baseline_commits_per_s}', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(root, 'bench', 'saga.bench.ts'), '--duration', '1', '--warmup', '0', '--concurrency', '4'],
      { cwd: root, timeout: 90_000 },
    );
    const last = stdout.trim().split('\n').at(-1) ?? '';
    const result = JSON.parse(last) as Record<string, unknown>;
    expect(result).toMatchObject({ bench: 'saga' });
    for (const key of ['sagas_per_s', 'p50_ms', 'p99_ms', 'transitions_per_s', 'baseline_commits_per_s']) {
      expect(typeof result[key], key).toBe('number');
    }
    expect(result.sagas_per_s as number).toBeGreaterThan(0);
  }, 120_000);
});
