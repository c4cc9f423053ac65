import net from 'node:net';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgClient, joinPgTransaction, type SqlClient } from '../src/index.ts';

const ok = await serverAvailable('postgres');

describe.skipIf(!ok)('pg adapter on PostgreSQL', () => {
  let db: TestDatabase;
  let sql: SqlClient;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase('db_pg');
    sql = createPgClient({ url: db.url, max: 4 });
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await sql.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
  });
  afterAll(async () => {
    await sql?.close();
    await pool?.end();
    await db?.drop();
  });

  const ids = async () =>
    (await sql.query<{ id: number }>('SELECT id FROM items ORDER BY id')).rows.map((r) => r.id);

  it('survives its connection being cut mid-transaction: rejects, and the pool keeps working', async () => {
    for (const pause of [0, 200]) {
      const attempt = sql.transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        // 0: the next statement meets the dead socket; 200 ms: the socket error arrives while idle.
        await new Promise((r) => setTimeout(r, pause));
        await tx.query('SELECT 1');
      });
      await expect(attempt).rejects.toThrow();
    }
    expect((await sql.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
  });

  it('commits when fn resolves and returns its value', async () => {
    const value = await sql.transaction(async (tx) => {
      await tx.query('INSERT INTO items VALUES ($1, $2)', [1, 'one']);
      return 'done';
    });
    expect(value).toBe('done');
    expect(await ids()).toContain(1);
  });

  it('rolls back everything when fn throws', async () => {
    await expect(
      sql.transaction(async (tx) => {
        await tx.query('INSERT INTO items VALUES ($1, $2)', [2, 'two']);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await ids()).not.toContain(2);
  });

  it('refuses to report success when a caught error had aborted the transaction', async () => {
    await expect(
      sql.transaction(async (tx) => {
        await tx.query('INSERT INTO items VALUES ($1, $2)', [3, 'three']);
        await tx.query('INSERT INTO items VALUES ($1, $2)', [1, 'duplicate']).catch(() => {});
      }),
    ).rejects.toMatchObject({ code: 'DB_TRANSACTION_ROLLED_BACK' });
    expect(await ids()).not.toContain(3);
    // The connection went back clean: the pool still works.
    expect((await sql.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('joins nested transaction() calls into the outer one', async () => {
    await expect(
      sql.transaction(async (tx) => {
        await tx.transaction(async (inner) => inner.query('INSERT INTO items VALUES ($1, $2)', [4, 'four']));
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await ids()).not.toContain(4);
  });

  it('applies the isolation option', async () => {
    const level = await sql.transaction(
      async (tx) =>
        (await tx.query<{ l: string }>(`SELECT current_setting('transaction_isolation') AS l`)).rows[0]!.l,
      { isolation: 'serializable' },
    );
    expect(level).toBe('serializable');
  });

  it('returns the last result of a multi-statement text', async () => {
    const res = await sql.query('SELECT 1 AS a; SELECT 2 AS b');
    expect(res.rows).toEqual([{ b: 2 }]);
  });

  it("joinPgTransaction commits with the caller's transaction", async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await joinPgTransaction(client).query('INSERT INTO items VALUES ($1, $2)', [5, 'five']);
      expect(await ids()).not.toContain(5); // not visible before the caller commits
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await ids()).toContain(5);
  });

  it("joinPgTransaction rolls back with the caller's transaction", async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const tx = joinPgTransaction(client);
      await tx.transaction((inner) => inner.query('INSERT INTO items VALUES ($1, $2)', [6, 'six']));
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await ids()).not.toContain(6);
  });

  it('close() is idempotent and waits for the pool to end', async () => {
    const own = createPgClient({ url: db.url, max: 1 });
    await own.query('SELECT 1');
    await Promise.all([own.close(), own.close()]);
    await expect(own.query('SELECT 1')).rejects.toThrow();
  });
});

describe('pg adapter connect timeout', () => {
  it('connectTimeoutMs rejects a query to a server that accepts the connection but never answers', async () => {
    // A TCP listener that never speaks the protocol: without a timeout the query would hang.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const sql = createPgClient({ url: `postgres://u@127.0.0.1:${port}/db`, max: 1, connectTimeoutMs: 200 });
    try {
      await expect(sql.query('SELECT 1')).rejects.toThrow(/timeout/i);
    } finally {
      await sql.close();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
