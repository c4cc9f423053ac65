import { isOutrigError, type OutrigError } from '@outrig/core/errors';
import { createTestDatabase, freePort, serverAvailable, type TestDatabase } from '@outrig/testing';
import { drizzle } from 'drizzle-orm/node-postgres';
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapPgError } from '../src/index.ts';

const ok = await serverAvailable('postgres');

/** The coded error the real failure of `run` maps to. */
async function mapped(run: () => Promise<unknown>): Promise<OutrigError> {
  const err = await run().then(
    () => {
      throw new Error('expected the statement to fail');
    },
    (e: unknown) => e,
  );
  const result = mapPgError(err);
  if (!result) throw new Error(`not mapped: ${String(err)}`);
  expect(isOutrigError(result)).toBe(true);
  return result;
}

describe.skipIf(!ok)('mapPgError on real PostgreSQL errors', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase('db_map_errors');
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    await pool.query(`
      CREATE TABLE parents (id int PRIMARY KEY);
      CREATE TABLE items (
        id uuid PRIMARY KEY,
        qty integer NOT NULL CHECK (qty < 1000),
        code varchar(5) UNIQUE,
        note text,
        parent int REFERENCES parents(id)
      );
      CREATE INDEX items_note_idx ON items (note);
      INSERT INTO parents VALUES (1);
      INSERT INTO items (id, qty, code) VALUES ('00000000-0000-4000-8000-000000000001', 1, 'A');
    `);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const insert = (values: unknown[]) =>
    pool.query('INSERT INTO items (id, qty, code, note, parent) VALUES ($1, $2, $3, $4, $5)', values);
  const id = '00000000-0000-4000-8000-000000000002';

  it('input errors are 4xx with a stable code, the constraint and column, and never the value', async () => {
    const cases: [unknown[], string, number][] = [
      [[id, 2 ** 31, null, null, null], 'DB_VALUE_OUT_OF_RANGE', 400],
      [[id, 2 ** 53 + 1, null, null, null], 'DB_VALUE_OUT_OF_RANGE', 400],
      [['not-a-uuid', 1, null, null, null], 'DB_VALUE_INVALID', 400],
      [[id, 1.5e308, null, null, null], 'DB_VALUE_INVALID', 400], // sent as the text 1.5e+308
      [[id, 1, 'TOO-LONG', null, null], 'DB_VALUE_TOO_LONG', 400],
      [[id, 1, null, 'nul\u0000byte', null], 'DB_DATA_INVALID', 400],
      [
        [
          id,
          1,
          null,
          'x'.repeat(10_000).replace(/x/g, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))),
          null,
        ],
        'DB_VALUE_TOO_LARGE',
        400,
      ],
      [[id, null, null, null, null], 'DB_NOT_NULL_VIOLATION', 400],
      [[id, 1, 'A', null, null], 'DB_UNIQUE_VIOLATION', 409],
      [[id, 1, null, null, 42], 'DB_FOREIGN_KEY_VIOLATION', 409],
      [[id, 5000, null, null, null], 'DB_CHECK_VIOLATION', 422],
    ];
    for (const [values, code, status] of cases) {
      const error = await mapped(() => insert(values));
      expect([error.code, error.status], `${code} for ${JSON.stringify(values).slice(0, 80)}`).toEqual([
        code,
        status,
      ]);
      expect(JSON.stringify(error.toJSON())).not.toContain('TOO-LONG');
    }
    const unique = await mapped(() => insert([id, 1, 'A', null, null]));
    expect(unique.details).toEqual({ sqlState: '23505', constraint: 'items_code_key' });
    const notNull = await mapped(() => insert([id, null, null, null, null]));
    expect(notNull.details).toMatchObject({ column: 'qty' });
  });

  it('looks through Drizzle’s DrizzleQueryError to the driver error', async () => {
    const items = pgTable('items', { id: text('id').primaryKey(), qty: integer('qty').notNull() });
    const orm = drizzle({ client: pool });
    const error = await mapped(() => orm.insert(items).values({ id, qty: 2 ** 40 }));
    expect(error.code).toBe('DB_VALUE_OUT_OF_RANGE');
  });

  it('a terminated backend and a closed port are 503 DB_UNAVAILABLE (retryable, Retry-After 2 s)', async () => {
    const victim = new pg.Client({ connectionString: db.url });
    await victim.connect();
    victim.on('error', () => {});
    const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    // Settled at once: the rejection arrives while the terminating query is still awaited.
    const running = victim.query('SELECT pg_sleep(10)').then(
      () => ({ ok: true as const }),
      (err: unknown) => ({ ok: false as const, err }),
    );
    await pool.query('SELECT pg_terminate_backend($1)', [pid]);
    const terminated = await mapped(async () => {
      const outcome = await running;
      if (!outcome.ok) throw outcome.err;
    });
    expect([terminated.code, terminated.status, terminated.retryable]).toEqual(['DB_UNAVAILABLE', 503, true]);
    expect(terminated.retryAfterSeconds).toBe(2);
    const after = await mapped(() => victim.query('SELECT 1'));
    expect(after.code).toBe('DB_UNAVAILABLE');
    await victim.end().catch(() => {});

    const closed = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/x` });
    const refused = await mapped(() => closed.query('SELECT 1'));
    expect([refused.code, refused.status]).toEqual(['DB_UNAVAILABLE', 503]);
    await closed.end();
  });

  it('leaves bugs alone: a syntax error or a missing table is not mapped (stays a 500)', async () => {
    const syntax = await pool.query('SELEC 1').catch((e: unknown) => e);
    expect(mapPgError(syntax)).toBeUndefined();
    const missing = await pool.query('SELECT * FROM nope').catch((e: unknown) => e);
    expect(mapPgError(missing)).toBeUndefined();
    expect(mapPgError(new Error('anything'))).toBeUndefined();
    expect(mapPgError('a string')).toBeUndefined();
  });
});
