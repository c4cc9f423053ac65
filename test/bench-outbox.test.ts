// Keeps `npm run bench:outbox` from rotting: runs it with its default options (every transport,
// both layouts, --diagnose auto), only shorter (one round of one second after one second of
// warm-up), and checks one result line per transport. Its figures are printed, never asserted.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { kafkaMockAvailable, serverAvailable } from '@outrig/testing';
import { describe, expect, it } from 'vitest';

const root = path.join(import.meta.dirname, '..');
const servers = await Promise.all([
  serverAvailable('postgres'),
  serverAvailable('nats'),
  serverAvailable('rabbitmq'),
  serverAvailable('redis'),
  kafkaMockAvailable(),
]);

describe.skipIf(servers.includes(false))('npm run bench:outbox with its defaults', () => {
  it('prints one {"bench":"outbox","transport":…} line per transport, diagnosis included', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(root, 'bench', 'outbox.bench.ts'), '--duration', '1', '--warmup', '1', '--rounds', '1'],
      { cwd: root, timeout: 540_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const lines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{"bench":"outbox"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    console.log(lines.map((l) => JSON.stringify(l)).join('\n'));
    expect(lines.map((l) => l.transport)).toEqual(['postgres', 'nats', 'kafka', 'rabbitmq', 'redis']);
    for (const line of lines) {
      for (const key of ['baseline_commits_per_s', 'producer_ratio', 'events_per_s', 'ratio', 'p99_ms']) {
        expect(typeof line[key], `${line.transport} ${key}`).toBe('number');
      }
      expect(line.events_per_s as number).toBeGreaterThan(0);
    }
  }, 600_000);
});
