// Keeps `npm run bench:edge` from rotting: runs it briefly (one short round, no warm-up) and
// checks its result line. Throughput is printed, never asserted. Needs haproxy, nginx and
// openssl (scripts/test-servers.sh installs them).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('bench:edge prints {"bench":"edge","nginx_rps":…,"haproxy_rps":…,…} with every proxy answering', async () => {
  const { stdout } = await run(
    process.execPath,
    [
      join(import.meta.dirname, '..', 'bench', 'edge.bench.ts'),
      ...['--rounds', '1', '--duration', '1', '--warmup', '0', '--connections', '10'],
    ],
    { timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const last = JSON.parse(stdout.trim().split('\n').at(-1) as string) as Record<string, number | string>;
  expect(last.bench).toBe('edge');
  for (const key of ['nginx_rps', 'haproxy_rps', 'haproxy_mtls_rps', 'outrig_gateway_rps']) {
    expect(last[key], key).toBeGreaterThan(0);
  }
  expect(last.haproxy_vs_nginx).toBeGreaterThan(0);
  expect(last.haproxy_mtls_vs_plain).toBeGreaterThan(0);
  console.log(stdout.trim().split('\n').at(-1));
}, 300_000);
