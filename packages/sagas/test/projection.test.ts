import { migrate } from '@outrig/db';
import { createPostgresBroker, type PostgresBroker } from '@outrig/messaging-postgres';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectionRunner, defineProjection, projectionMigrations } from '../src/index.ts';
import { Tally, tallyMessages } from './fixtures/tally-projection.ts';

const hasPg = await serverAvailable('postgres');

describe.skipIf(!hasPg)('projections over the postgres transport log', () => {
  let db: TestDatabase;
  let broker: PostgresBroker;
  beforeAll(async () => {
    db = await createTestDatabase('projections');
    await migrate(db.sql, [projectionMigrations]);
    broker = createPostgresBroker({ url: db.url, cleanupIntervalMs: 0, partitions: 4 });
    await broker.publish(tallyMessages(1)); // creates the schema and the topic
  });
  afterAll(async () => {
    await broker?.close();
    await db?.drop();
  });

  const rows = async () => (await db.sql.query('SELECT key, n, digest FROM tally ORDER BY key')).rows;

  it('builds incrementally with the checkpoint in the rows transaction, and a rebuild swaps in the same rows', async () => {
    const runner = createProjectionRunner({ sql: db.sql, projection: Tally, batchSize: 7 });
    await runner.ensure();
    await broker.publish(tallyMessages(60));
    expect(await runner.catchUp()).toBe(61);
    expect((await runner.lag()).events).toBe(0);
    await broker.publish(tallyMessages(5));
    const lag = await runner.lag();
    expect(lag).toMatchObject({ generation: 1, events: 5 });
    expect(lag.seconds).toBeGreaterThanOrEqual(0);
    expect(await runner.catchUp()).toBe(5);
    const before = await rows();
    expect(before.reduce((n, r) => n + (r.n as number), 0)).toBe(66);
    const rebuilt = await runner.rebuild();
    expect(rebuilt).toEqual({ generation: 2, events: 66 });
    expect(await rows()).toEqual(before);
    const tables = await db.sql.query(
      "SELECT tablename FROM pg_tables WHERE tablename LIKE 'tally_v%' ORDER BY 1",
    );
    expect(tables.rows).toEqual([{ tablename: 'tally_v2' }]);
    // The live generation goes on from the rebuilt one's checkpoint.
    await broker.publish(tallyMessages(3));
    expect(await runner.catchUp()).toBe(3);
  });

  it('a second concurrent rebuild of one projection is refused', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    const slow = defineProjection({
      ...Tally,
      async handle(event, ctx) {
        if (ctx.replaying) {
          entered();
          await gate;
        }
        await Tally.handle(event, ctx);
      },
    });
    const a = createProjectionRunner({ sql: db.sql, projection: slow });
    const b = createProjectionRunner({ sql: db.sql, projection: Tally });
    const first = a.rebuild();
    await inside;
    await expect(b.rebuild()).rejects.toMatchObject({ code: 'PROJECTION_REBUILD_RUNNING' });
    release();
    expect((await first).generation).toBe(3);
  });

  it('a replay refuses side effects (outbox writes, notifications)', async () => {
    const leaky = defineProjection({
      ...Tally,
      name: 'leaky',
      async handle(event, { tx }) {
        await tx.query("INSERT INTO outbox (id) VALUES ('00000000-0000-0000-0000-000000000000')");
        void event;
      },
    });
    const runner = createProjectionRunner({ sql: db.sql, projection: leaky });
    await expect(runner.rebuild()).rejects.toMatchObject({ code: 'PROJECTION_SIDE_EFFECT' });
    const notifier = defineProjection({
      ...Tally,
      name: 'notifier',
      async handle(_event, { tx }) {
        await tx.query("SELECT pg_notify('x', 'y')");
      },
    });
    await expect(
      createProjectionRunner({ sql: db.sql, projection: notifier }).rebuild(),
    ).rejects.toMatchObject({
      code: 'PROJECTION_SIDE_EFFECT',
    });
  });

  it('never skips an event of a producer transaction still in flight (a held log append)', async () => {
    const runner = createProjectionRunner({ sql: db.sql, projection: Tally });
    await runner.catchUp();
    const start = (await rows()).reduce((n, r) => n + (r.n as number), 0);
    // A long transaction appends to partition 0 of the log the way the transport does: under the
    // partition's head row lock, held until commit.
    let commit!: () => void;
    const held = new Promise<void>((r) => {
      commit = r;
    });
    let appended!: () => void;
    const didAppend = new Promise<void>((r) => {
      appended = r;
    });
    const [slowEvent] = tallyMessages(1);
    const slow = db.sql.transaction(async (tx) => {
      const head = await tx.query<{ off: string }>(
        `UPDATE outrig_bus.heads SET next_offset = next_offset + 1 WHERE topic = 'tally.events' AND partition = 0
         RETURNING next_offset - 1 AS off`,
      );
      await tx.query(
        `INSERT INTO outrig_bus.log (topic, partition, "offset", key, event_id, event) VALUES ('tally.events', 0, $1, 'slow', $2, $3)`,
        [head.rows[0]!.off, slowEvent!.event.id, JSON.stringify({ ...slowEvent!.event, subject: 'slow' })],
      );
      appended();
      await held;
    });
    await didAppend;
    // Meanwhile other producers commit, to every partition (those of partition 0 wait behind it).
    const others = broker.publish(tallyMessages(40, 13, 1000));
    await new Promise((r) => setTimeout(r, 300));
    await runner.catchUp();
    commit();
    await slow;
    await others;
    await runner.catchUp();
    const after = await rows();
    expect(after.reduce((n, r) => n + (r.n as number), 0)).toBe(start + 41);
    expect(after.find((r) => r.key === 'slow')).toMatchObject({ n: 1 });
    const lag = await runner.lag();
    expect(lag.events).toBe(0);
  });
});
