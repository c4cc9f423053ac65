import { randomBytes } from 'node:crypto';
import { serverAvailable, testServers } from '@outrig/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgClient, ensureDatabase, resolveDatabaseUrl } from '../src/index.ts';

const ok = await serverAvailable('postgres');

describe.skipIf(!ok)('ensureDatabase on PostgreSQL', () => {
  const name = `outrig_t_db_ensure_${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    const admin = createPgClient({ url: testServers.postgres, max: 1 });
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.close();
  });

  it('creates the database once when several processes race for it', async () => {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => ensureDatabase(testServers.postgres, name)),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.url)).size).toBe(1);
    const sql = createPgClient({ url: results[0]!.url, max: 1 });
    expect((await sql.query('SELECT current_database() AS db')).rows).toEqual([{ db: name }]);
    await sql.close();
    expect(await ensureDatabase(testServers.postgres, name)).toMatchObject({ created: false });
  });
});

describe('resolveDatabaseUrl with a configured URL', () => {
  it('returns DATABASE_URL as is and starts nothing', async () => {
    const url = 'postgres://app:secret@db.internal:5432/orders';
    const db = await resolveDatabaseUrl({ databaseUrl: url, serviceName: 'orders', rootDir: '/nowhere' });
    expect(db).toMatchObject({ url, embedded: false });
    await db.stop();
  });

  it('refuses a URL that is not postgres://, without echoing its password', async () => {
    const err = await resolveDatabaseUrl({
      databaseUrl: 'mysql://app:secret@db/orders',
      serviceName: 'orders',
      rootDir: '/x',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DB_URL_INVALID', message: expect.not.stringContaining('secret') });
  });

  it('refuses a relative rootDir when it would start the embedded server', async () => {
    await expect(resolveDatabaseUrl({ serviceName: 'orders', rootDir: '.' })).rejects.toMatchObject({
      code: 'DB_OPTIONS_INVALID',
    });
  });
});
