import { describe, expect, it } from 'vitest';
import { createPgClient, type PgPoolClientLike, type PgPoolLike } from './pg-client.ts';

/** A pool whose one client records statements and fails the ones listed in `failing`. */
function fakePool(failing: string[], pipeline = false) {
  const statements: string[] = [];
  const releases: Array<Error | boolean | undefined> = [];
  const client: PgPoolClientLike = {
    pipeline,
    async query(text) {
      statements.push(text);
      if (failing.includes(text)) throw Object.assign(new Error(`${text} failed`), { code: 'ECONNRESET' });
      return { rows: [], rowCount: 0, command: text };
    },
    release: (err) => void releases.push(err),
  };
  const pool: PgPoolLike = {
    query: client.query,
    connect: async () => client,
    end: async () => {},
  };
  return { pool, statements, releases };
}

describe('createPgClient transaction', () => {
  it('in pipeline mode sends the first statement without waiting for BEGIN, and commits after both', async () => {
    const { pool, statements } = fakePool([], true);
    const sql = createPgClient({ pool });
    await sql.transaction(async (tx) => {
      const first = tx.query('INSERT 1');
      // Sent at once, behind BEGIN on the same connection (pg keeps the order on the wire).
      expect(statements).toEqual(['BEGIN', 'INSERT 1']);
      await first;
      await tx.query('INSERT 2');
    });
    expect(statements).toEqual(['BEGIN', 'INSERT 1', 'INSERT 2', 'COMMIT']);
  });

  it('in pipeline mode a failed BEGIN fails the transaction: no later statement, no COMMIT', async () => {
    const { pool, statements, releases } = fakePool(['BEGIN'], true);
    const sql = createPgClient({ pool });
    await expect(
      sql.transaction(async (tx) => {
        await tx.query('INSERT 1').catch(() => {}); // even a caller that swallows the error
        await tx.query('INSERT 2');
      }),
    ).rejects.toThrow('BEGIN failed');
    expect(statements).toEqual(['BEGIN', 'INSERT 1', 'ROLLBACK']);
    expect(releases).toHaveLength(1);
  });

  it('rolls back and returns the connection to the pool when fn throws', async () => {
    const { pool, statements, releases } = fakePool([]);
    const sql = createPgClient({ pool });
    await expect(
      sql.transaction(async () => {
        throw new Error('business rule');
      }),
    ).rejects.toThrow('business rule');
    expect(statements).toEqual(['BEGIN', 'ROLLBACK']);
    expect(releases).toEqual([undefined]);
  });

  it('destroys the connection when ROLLBACK fails (it may still be inside the transaction)', async () => {
    const { pool, releases } = fakePool(['ROLLBACK']);
    const sql = createPgClient({ pool });
    await expect(
      sql.transaction(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(releases).toHaveLength(1);
    expect(releases[0]).toBeInstanceOf(Error);
  });

  it('destroys the connection when BEGIN fails', async () => {
    const { pool, releases } = fakePool(['BEGIN']);
    await expect(createPgClient({ pool }).transaction(async () => 1)).rejects.toThrow('BEGIN failed');
    expect(releases[0]).toBeInstanceOf(Error);
  });

  it('refuses an unknown isolation level before taking a connection', async () => {
    const { pool, statements } = fakePool([]);
    const bad = { isolation: 'read uncommitted; drop table x' } as unknown as { isolation: 'serializable' };
    await expect(createPgClient({ pool }).transaction(async () => 1, bad)).rejects.toMatchObject({
      code: 'DB_OPTIONS_INVALID',
    });
    expect(statements).toEqual([]);
  });
});

describe('createPgClient options', () => {
  it('needs a url or a pool (never falls back to PG* variables)', () => {
    expect(() => createPgClient({})).toThrow(expect.objectContaining({ code: 'DB_OPTIONS_INVALID' }));
  });

  it('refuses a URL that is not postgres://', () => {
    expect(() => createPgClient({ url: 'mysql://u:secret@h/db' })).toThrow(
      expect.objectContaining({ code: 'DB_URL_INVALID', message: expect.not.stringContaining('secret') }),
    );
  });

  it('leaves a pool it did not build open', async () => {
    let ended = false;
    const { pool } = fakePool([]);
    const end = async () => {
      ended = true;
    };
    await createPgClient({ pool: { ...pool, end } }).close();
    expect(ended).toBe(false);
  });
});
