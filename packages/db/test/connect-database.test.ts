import { createTestDatabase, freePort, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type ServiceHost } from '../src/index.ts';

const ok = await serverAvailable('postgres');

/** A stand-in for a Service: records readiness checks and close hooks. */
function host(): ServiceHost & {
  checks: Map<string, () => Promise<void>>;
  close(): Promise<void>;
} {
  const checks = new Map<string, () => Promise<void>>();
  const hooks: (() => Promise<void> | void)[] = [];
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  return {
    name: 'connect-test',
    log,
    checks,
    readiness: (name, check) => checks.set(name, check),
    onClose: (_name, hook) => hooks.push(hook),
    async close() {
      for (const h of hooks.reverse()) await h();
    },
  };
}

describe('connectDatabase refuses an unusable DATABASE_URL with a coded error', () => {
  it('names the URL (password masked) when nothing listens there', async () => {
    const port = await freePort();
    const url = `postgres://app:s3cret@127.0.0.1:${port}/orders`;
    const err = await connectDatabase(host(), { url }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DB_UNREACHABLE', status: 503 });
    const message = (err as Error).message;
    expect(message).toContain(`postgres://app:***@127.0.0.1:${port}/orders`);
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('ECONNREFUSED');
    expect(message).not.toContain('s3cret');
  });
});

describe.skipIf(!ok)('connectDatabase on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('db_connect');
  });
  afterAll(() => db?.drop());

  it('reports a database that does not exist as DB_UNREACHABLE, naming it', async () => {
    const url = new URL(db.url);
    url.pathname = '/outrig_no_such_database';
    const err = await connectDatabase(host(), { url: url.toString() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DB_UNREACHABLE' });
    expect((err as Error).message).toContain('outrig_no_such_database');
  });

  it('applies the migrations, adds a readiness check and closes the pool at shutdown', async () => {
    const service = host();
    const conn = await connectDatabase(service, {
      url: db.url,
      migrations: [{ name: 'connect-test', migrations: [{ id: '0001_t', sql: 'CREATE TABLE t (id int)' }] }],
    });
    expect(conn.embedded).toBe(false);
    await conn.sql.query('INSERT INTO t VALUES (1)');
    await expect(service.checks.get('database')!()).resolves.toBeUndefined();
    await service.close();
    await expect(conn.sql.query('SELECT 1')).rejects.toThrow();
  });
});
