import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const START = fileURLToPath(new URL('../start.ts', import.meta.url));

it('npm start stops everything and exits non-zero, naming the variable, when a service has bad config', async () => {
  const home = mkdtempSync(join(tmpdir(), 'outrig-shop-bad-'));
  chmodSync(home, 0o755);
  const env: Record<string, string | undefined> = {
    ...process.env,
    OUTRIG_HOME: home,
    OUTRIG_PG_PORT: '0',
    INVENTORY_SERVICE_PORT: '0',
    NOTIFICATION_SERVICE_PORT: '0',
    LOG_LEVEL: 'loud',
  };
  delete env.DATABASE_URL;
  delete env.BUS_URL;
  let output = '';
  const child = spawn(process.execPath, [START], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  rmSync(home, { recursive: true, force: true });
  expect(code).toBe(78);
  expect(output).toContain('failed to start (exit code 78)');
  expect(output).toContain('LOG_LEVEL="loud" is invalid');
}, 90_000);
