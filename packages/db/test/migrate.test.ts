import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgClient, type MigrationSet, migrate, migrationStatus, type SqlClient } from '../src/index.ts';

const ok = await serverAvailable('postgres');

/** Migrations that fail if run twice (CREATE TABLE) and count their runs in `runs`. */
const setOf = (name: string, count: number): MigrationSet => ({
  name,
  migrations: Array.from({ length: count }, (_, i) => {
    const id = `${String(i + 1).padStart(4, '0')}_t${i + 1}`;
    return {
      id,
      sql: `CREATE TABLE ${name}_t${i + 1} (id int);\nINSERT INTO runs (name) VALUES ('${name}/${id}');`,
    };
  }),
});

describe.skipIf(!ok)('migrate on PostgreSQL', () => {
  let db: TestDatabase;
  let sql: SqlClient;
  beforeAll(async () => {
    db = await createTestDatabase('db_migrate');
    sql = db.sql;
    await sql.query('CREATE TABLE runs (name text NOT NULL)');
  });
  afterAll(() => db?.drop());

  const runs = async (prefix: string) =>
    (
      await sql.query<{ name: string }>('SELECT name FROM runs WHERE name LIKE $1 ORDER BY name', [
        `${prefix}/%`,
      ])
    ).rows.map((r) => r.name);

  it('applies pending migrations in order, records them, and is idempotent', async () => {
    const set = setOf('apply', 2);
    expect(await migrationStatus(sql, [set])).toEqual([
      { set: 'apply', id: '0001_t1', state: 'pending' },
      { set: 'apply', id: '0002_t2', state: 'pending' },
    ]);
    const first = await migrate(sql, [set]);
    expect(first.applied).toEqual([
      { set: 'apply', id: '0001_t1' },
      { set: 'apply', id: '0002_t2' },
    ]);
    expect((await migrate(sql, [set])).applied).toEqual([]);
    expect(await runs('apply')).toEqual(['apply/0001_t1', 'apply/0002_t2']);
    const status = await migrationStatus(sql, [set]);
    expect(status.map((s) => s.state)).toEqual(['applied', 'applied']);
    expect(status[0]!.appliedAt).toBeInstanceOf(Date);
    const rows = await sql.query<{ checksum: string }>(
      `SELECT checksum FROM outrig_migrations WHERE set_name = 'apply'`,
    );
    expect(rows.rows[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses, applying nothing, when an applied migration was edited', async () => {
    await migrate(sql, [setOf('edited', 1)]);
    const edited = setOf('edited', 2);
    const changed: MigrationSet = {
      ...edited,
      migrations: [
        { ...edited.migrations[0]!, sql: `${edited.migrations[0]!.sql}\n-- tweak` },
        edited.migrations[1]!,
      ],
    };
    const err = await migrate(sql, [changed]).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'DB_MIGRATION_MISMATCH',
      message: expect.stringContaining('edited/0001_t1'),
      details: { problems: [{ set: 'edited', id: '0001_t1', state: 'mismatched' }] },
    });
    expect(await runs('edited')).toEqual(['edited/0001_t1']); // 0002 was not applied
    expect((await migrationStatus(sql, [changed])).map((s) => s.state)).toEqual(['mismatched', 'pending']);
  });

  it('refuses when an applied migration has no file any more', async () => {
    await migrate(sql, [setOf('removed', 2)]);
    const withoutFirst: MigrationSet = { name: 'removed', migrations: [setOf('removed', 3).migrations[2]!] };
    await expect(migrate(sql, [withoutFirst])).rejects.toMatchObject({
      code: 'DB_MIGRATION_MISMATCH',
      message: expect.stringContaining('removed/0001_t1'),
    });
    expect(await runs('removed')).toEqual(['removed/0001_t1', 'removed/0002_t2']);
  });

  it('refuses a new migration that sorts before an applied one', async () => {
    const full = setOf('order', 3);
    await migrate(sql, [{ name: 'order', migrations: [full.migrations[0]!, full.migrations[2]!] }]);
    await expect(migrate(sql, [full])).rejects.toMatchObject({
      code: 'DB_MIGRATION_MISMATCH',
      details: { problems: [{ set: 'order', id: '0002_t2', state: 'out-of-order' }] },
    });
  });

  it('stops at a failing migration, keeping the ones before it and recording nothing of it', async () => {
    const set: MigrationSet = {
      name: 'failing',
      migrations: [
        { id: '0001_ok', sql: `INSERT INTO runs (name) VALUES ('failing/0001_ok')` },
        {
          id: '0002_bad',
          sql: `INSERT INTO runs (name) VALUES ('failing/0002_bad'); SELECT * FROM no_such_table`,
        },
      ],
    };
    await expect(migrate(sql, [set])).rejects.toMatchObject({
      code: 'DB_MIGRATION_FAILED',
      message: expect.stringContaining('failing/0002_bad'),
    });
    expect(await runs('failing')).toEqual(['failing/0001_ok']);
    expect((await migrationStatus(sql, [set])).map((s) => s.state)).toEqual(['applied', 'pending']);
  });

  it('applies each migration once when several migrators start together', async () => {
    const set = setOf('concurrent', 5);
    const clients = [createPgClient({ url: db.url, max: 2 }), createPgClient({ url: db.url, max: 2 })];
    try {
      const results = await Promise.all([...clients, ...clients].map((c) => migrate(c, [set])));
      expect(results.flatMap((r) => r.applied.map((a) => a.id)).sort()).toEqual(
        set.migrations.map((m) => m.id),
      );
      expect(await runs('concurrent')).toEqual(set.migrations.map((m) => `concurrent/${m.id}`));
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('gives up with DB_MIGRATION_LOCKED when another migrator holds the lock too long', async () => {
    const holder = createPgClient({ url: db.url, max: 1 });
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    const holding = holder.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7310582846213398051)');
      locked();
      await held;
    });
    try {
      await isLocked;
      await expect(migrate(sql, [setOf('locked', 1)], { lockTimeoutMs: 200 })).rejects.toMatchObject({
        code: 'DB_MIGRATION_LOCKED',
        retryable: true,
      });
    } finally {
      release();
      await holding;
      await holder.close();
    }
    expect(await runs('locked')).toEqual([]);
  });
});
