/**
 * `--service`: the system's embedded server, for real (a few seconds: one initialisation).
 * A server the dev system already runs must be used and left running; one the command had to
 * start must be stopped when it ends.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createPgClient, ensureEmbeddedPostgres, migrate, stopEmbeddedPostgres } from '@outrig/db';
import { outboxMigrations } from '@outrig/messaging';
import { freePort } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.join(import.meta.dirname, '..', 'src', 'bin.ts');

function outrig(args: readonly string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

describe('outrig outbox --service (embedded PostgreSQL)', () => {
  let home: string;
  let dataDir: string;

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'outrig-cli-embedded-'));
    await chmod(home, 0o755); // as root, the postgres user must get through
    dataDir = path.join(home, '.outrig', 'postgres');
  });
  afterAll(async () => {
    await stopEmbeddedPostgres(dataDir).catch(() => false);
    await rm(home, { recursive: true, force: true });
  });

  it("uses the system's running server and leaves it running; starts and stops one when none runs", async () => {
    // The dev system's server (as `npm start` starts it), with a service database migrated.
    const server = await ensureEmbeddedPostgres({ dataDir, port: 0, database: 'orders_service' });
    const url = new URL(server.adminUrl);
    url.pathname = '/orders_service';
    const sql = createPgClient({ url: url.toString(), max: 1 });
    await migrate(sql, [outboxMigrations]);

    const first = await outrig(
      ['outbox', 'status', '--json', '--service', 'orders-service', '--home', home],
      {},
    );
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ pending: 0, parked: 0, partitions: 64 });
    await expect(sql.query('SELECT 1')).resolves.toBeDefined(); // still running
    await sql.close();
    await server.stop();
    expect(await exists(path.join(dataDir, 'postmaster.pid'))).toBe(false);

    // No server running: the command starts one on OUTRIG_PG_PORT, and stops it when done.
    const port = await freePort();
    const second = await outrig(['outbox', 'status', '--service', 'orders-service'], {
      OUTRIG_HOME: home,
      OUTRIG_PG_PORT: String(port),
    });
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`127.0.0.1:${port}/orders_service`);
    expect(await exists(path.join(dataDir, 'postmaster.pid'))).toBe(false);

    const bad = await outrig(['outbox', 'status', '--service', 'orders-service', '--home', home], {
      OUTRIG_PG_PORT: 'fifty',
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('OUTRIG_PG_PORT');
  }, 120_000);
});
