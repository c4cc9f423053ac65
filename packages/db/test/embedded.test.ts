/**
 * The embedded PostgreSQL server, for real: one initialisation and two starts (the second after
 * a simulated crash) in a temporary folder, on free ports. Slow-ish (a few seconds).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPgClient,
  type EmbeddedPostgresServer,
  ensureEmbeddedPostgres,
  type ResolvedDatabase,
  resolveDatabaseUrl,
  stopEmbeddedPostgres,
} from '../src/index.ts';

const run = promisify(execFile);
const entry = pathToFileURL(
  path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'index.ts'),
).href;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const pidOf = async (dataDir: string) =>
  Number.parseInt((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]!, 10);

describe('embedded PostgreSQL', () => {
  let rootDir: string;
  let dataDir: string;
  let orders: ResolvedDatabase | undefined;
  let restarted: EmbeddedPostgresServer | undefined;

  beforeAll(async () => {
    rootDir = await mkdtemp(path.join(os.tmpdir(), 'outrig-embedded-'));
    await chmod(rootDir, 0o755); // mkdtemp makes it 0700: as root, the postgres user must get through
    dataDir = path.join(rootDir, '.outrig', 'postgres');
  });
  afterAll(async () => {
    await orders?.stop();
    await restarted?.stop();
    await stopEmbeddedPostgres(dataDir).catch(() => false); // whatever a failed test left running
    await rm(rootDir, { recursive: true, force: true });
  });

  it('initialises and starts a server on first use, with a database per service', async () => {
    orders = await resolveDatabaseUrl({ serviceName: 'order-service', rootDir, port: 0 });
    expect(orders.embedded).toBe(true);
    expect(new URL(orders.url).pathname).toBe('/order_service');
    const sql = createPgClient({ url: orders.url, max: 1 });
    try {
      const version = await sql.query<{ v: string }>('SELECT version() AS v');
      expect(version.rows[0]!.v).toMatch(/^PostgreSQL 18/);
      await sql.query('CREATE TABLE orders (id int PRIMARY KEY)');
      await sql.query('INSERT INTO orders VALUES (1)');
    } finally {
      await sql.close();
    }
  });

  it('is reused by another process, whose stop() leaves it running', async () => {
    const script = `
      const { ensureEmbeddedPostgres, createPgClient } = await import(${JSON.stringify(entry)});
      const pg = await ensureEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: 0, database: 'inventory' });
      const sql = createPgClient({ url: pg.url, max: 1 });
      const { rows } = await sql.query('SELECT current_database() AS db');
      await sql.close();
      await pg.stop();
      console.log(JSON.stringify({ owned: pg.owned, port: pg.port, db: rows[0].db }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const child = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(child).toEqual({ owned: false, port: Number(new URL(orders!.url).port), db: 'inventory' });
    const sql = createPgClient({ url: orders!.url, max: 1 });
    expect((await sql.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 1 }]);
    await sql.close();
  });

  it('shares the server between handles of one process until the last one stops', async () => {
    const second = await ensureEmbeddedPostgres({ dataDir, port: 0 });
    expect(second.owned).toBe(true);
    await second.stop();
    const sql = createPgClient({ url: orders!.url, max: 1 });
    expect((await sql.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await sql.close();
  });

  it('starts again after a crash left a postmaster.pid whose pid now belongs to another process', async () => {
    const pid = await pidOf(dataDir);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 200 && alive(pid); i++) await sleep(25);
    const pidFile = path.join(dataDir, 'postmaster.pid');
    const lines = (await readFile(pidFile, 'utf8')).split('\n');
    await writeFile(pidFile, [String(process.pid), ...lines.slice(1)].join('\n'));

    restarted = await ensureEmbeddedPostgres({ dataDir, port: 0, database: 'order_service' });
    expect(restarted.owned).toBe(true);
    const sql = createPgClient({ url: restarted.url, max: 1 });
    expect((await sql.query('SELECT id FROM orders')).rows).toEqual([{ id: 1 }]);
    await sql.close();

    await orders!.stop(); // the crashed server's handle: nothing left to stop
    const newPid = await pidOf(dataDir);
    await restarted.stop();
    expect(alive(newPid)).toBe(false);
    await expect(readFile(pidFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails with DB_EMBEDDED_PORT_IN_USE when its port is taken, or takes a free one (any-free)', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(ensureEmbeddedPostgres({ dataDir, port })).rejects.toMatchObject({
        code: 'DB_EMBEDDED_PORT_IN_USE',
        message: expect.stringContaining(`Port ${port} is taken by another process`),
      });
      const moved = await ensureEmbeddedPostgres({ dataDir, port, portTaken: 'any-free' });
      try {
        expect(moved.port).not.toBe(port);
        expect(moved.owned).toBe(true);
      } finally {
        await moved.stop();
      }
    } finally {
      blocker.close();
    }
  });

  it("never uses another data directory's server that holds its port (two checkouts)", async () => {
    const otherDir = path.join(rootDir, 'other-checkout', '.outrig', 'postgres');
    const other = await ensureEmbeddedPostgres({ dataDir: otherDir, port: 0 });
    try {
      // Same default user and password: a login would succeed, the data would be the other's.
      const err = await ensureEmbeddedPostgres({ dataDir, port: other.port }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'DB_EMBEDDED_PORT_IN_USE' });
      expect((err as Error).message).toContain(otherDir);
      expect((err as Error).message).toContain(dataDir);
      const ours = await ensureEmbeddedPostgres({ dataDir, port: other.port, portTaken: 'any-free' });
      try {
        expect(ours.port).not.toBe(other.port);
        const sql = createPgClient({ url: ours.adminUrl });
        try {
          const res = await sql.query<{ data_directory: string }>('SHOW data_directory');
          expect(res.rows[0]!.data_directory).toBe(dataDir);
        } finally {
          await sql.close();
        }
      } finally {
        await ours.stop();
      }
    } finally {
      await other.stop();
    }
  }, 60_000);
});
