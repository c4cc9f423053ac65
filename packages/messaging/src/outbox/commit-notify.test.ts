import { migrate, type SqlClient } from '@outrig/db';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import pg from 'pg';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEvent } from '../events/event-definition.ts';
import { notifyOutboxCommit } from './commit-notify.ts';
import { createOutbox } from './outbox.ts';
import { OUTBOX_CHANNEL, outboxMigrations } from './outbox-migrations.ts';

const ok = await serverAvailable('postgres');

const Counted = defineEvent({
  type: 'counter.counted',
  aggregateType: 'counter',
  schema: Type.Object({ n: Type.Integer() }),
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A client whose after-commit `pg_notify` statements are recorded and answered by `answer`. */
function interceptNotify(sql: SqlClient, answer: () => Promise<unknown>) {
  const notifies: string[] = [];
  const client: SqlClient = {
    query: (text, params, options) => {
      if (!text.includes('pg_notify')) return sql.query(text, params, options);
      notifies.push(text);
      return answer().then(() => ({ rows: [], rowCount: 1 }));
    },
    transaction: (fn, options) => sql.transaction(fn, options),
    close: () => Promise.resolve(),
  };
  return { client, notifies };
}

describe('notifyOutboxCommit', () => {
  it('keeps one NOTIFY in flight and covers the commits made meanwhile with one more', async () => {
    const answers: (() => void)[] = [];
    const fake = interceptNotify(
      {} as SqlClient,
      () => new Promise<void>((resolve) => answers.push(resolve)),
    );
    notifyOutboxCommit(fake.client);
    notifyOutboxCommit(fake.client);
    notifyOutboxCommit(fake.client);
    expect(fake.notifies).toHaveLength(1);
    answers.shift()?.();
    await waitFor(() => fake.notifies.length === 2, 'the coalesced second NOTIFY');
    answers.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fake.notifies).toHaveLength(2);
    expect(fake.notifies[0]).toContain(`pg_notify('${OUTBOX_CHANNEL}'`);
  });

  it('ignores a failed NOTIFY and sends the next one', async () => {
    let fail = true;
    const fake = interceptNotify({} as SqlClient, () =>
      fail ? Promise.reject(new Error('down')) : Promise.resolve(),
    );
    notifyOutboxCommit(fake.client);
    await new Promise((resolve) => setTimeout(resolve, 10));
    fail = false;
    notifyOutboxCommit(fake.client);
    expect(fake.notifies).toHaveLength(2);
  });
});

describe.skipIf(!ok)('outbox wake-ups (PostgreSQL)', () => {
  let db: TestDatabase;
  let listener: pg.Client;
  const heard: string[] = [];
  const outbox = createOutbox({ source: '/services/counter' });

  beforeAll(async () => {
    db = await createTestDatabase('outbox_notify');
    await migrate(db.sql, [outboxMigrations]);
    listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', (n) => heard.push(n.channel));
    await listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
  });
  afterAll(async () => {
    await listener?.end();
    await db?.drop();
  });

  const count = async () =>
    Number((await db.sql.query<{ n: string }>('SELECT count(*) AS n FROM outbox')).rows[0]?.n);

  it("notifies after a unit of work's commit, not inside it; a joined write keeps the trigger's NOTIFY", async () => {
    heard.length = 0;
    // Our own unit of work on a client: the NOTIFY comes from the after-commit statement.
    await outbox.unitOfWork(db.sql, async (uow) => {
      uow.publish(Counted, { subject: 'c-1', data: { n: 1 } });
    });
    await waitFor(() => heard.length === 1, 'the after-commit NOTIFY');

    // The same with the after-commit NOTIFY swallowed: its commit must not have notified. A
    // joined write committed afterwards does (trigger); notifications arrive in commit order,
    // so once that one is heard, one from the unit of work would have been heard before it.
    heard.length = 0;
    const intercepted = interceptNotify(db.sql, () => Promise.resolve());
    await outbox.unitOfWork(intercepted.client, async (uow) => {
      uow.publish(Counted, { subject: 'c-1', data: { n: 2 } });
    });
    expect(intercepted.notifies).toHaveLength(1);
    await db.sql.transaction((tx) =>
      outbox.write(tx, outbox.event(Counted, { subject: 'c-2', data: { n: 1 } })),
    );
    await waitFor(() => heard.length >= 1, "the joined write's NOTIFY");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard).toEqual([OUTBOX_CHANNEL]);
    expect(await count()).toBe(3);
  });

  it('a unit of work joining a transaction it does not commit leaves the NOTIFY to the trigger', async () => {
    heard.length = 0;
    const intercepted = interceptNotify(db.sql, () => Promise.resolve());
    await intercepted.client.transaction((tx) =>
      outbox.unitOfWork(tx, async (uow) => {
        uow.publish(Counted, { subject: 'c-3', data: { n: 1 } });
      }),
    );
    expect(intercepted.notifies).toHaveLength(0);
    await waitFor(() => heard.length === 1, "the trigger's NOTIFY at the caller's commit");
  });

  it('a unit of work that publishes nothing sends no NOTIFY', async () => {
    const intercepted = interceptNotify(db.sql, () => Promise.resolve());
    await outbox.unitOfWork(intercepted.client, async (uow) => {
      await uow.tx.query('SELECT 1');
    });
    expect(intercepted.notifies).toHaveLength(0);
  });
});
