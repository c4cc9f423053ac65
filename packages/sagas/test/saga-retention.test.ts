import { migrate } from '@outrig/db';
import {
  type CloudEvent,
  createEvent,
  createMemoryBroker,
  defineEvent,
  inboxMigrations,
  outboxMigrations,
} from '@outrig/messaging';
import { createTestDatabase, eventually, serverAvailable, type TestDatabase } from '@outrig/testing';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupSagas,
  commandId,
  createSagaEngine,
  createSagaRegistry,
  createSagaRuntime,
  defineSaga,
  instanceId,
  sagaMigrations,
} from '../src/index.ts';

// Retention of finished instances: completed and compensated ones that ended long enough ago go
// with their history, parked messages and requests; nothing unfinished is touched, and the
// history stays append-only for everyone else.

const hasPg = await serverAvailable('postgres');

const Started = defineEvent({ type: 'rt.started', aggregateType: 'rt', schema: Type.Object({}) });
const Cmd = Type.Object({ key: Type.String() });
const Do = defineEvent({ type: 'rt.do', aggregateType: 'rt-cmd', topic: 'rt.commands', schema: Cmd });
const Undo = defineEvent({ type: 'rt.undo', aggregateType: 'rt-cmd', topic: 'rt.commands', schema: Cmd });
const Done = defineEvent({ type: 'rt.done', aggregateType: 'rt', topic: 'rt.replies', schema: Cmd });
const Declined = defineEvent({ type: 'rt.declined', aggregateType: 'rt', topic: 'rt.replies', schema: Cmd });
const Undone = defineEvent({ type: 'rt.undone', aggregateType: 'rt', topic: 'rt.replies', schema: Cmd });

const saga = defineSaga<{ key: string }>({
  name: 'rt',
  version: 1,
  startedBy: { event: Started, data: (e) => ({ key: String(e.subject) }) },
  steps: [
    {
      name: 'one',
      command: (d) => ({ definition: Do, data: d }),
      ok: [Done],
      compensation: { command: (d) => ({ definition: Undo, data: d }), ok: [Undone] },
    },
    { name: 'two', command: (d) => ({ definition: Do, data: d }), ok: [Done], fail: [Declined] },
  ],
});

describe.skipIf(!hasPg)('retention of finished saga instances', () => {
  let db: TestDatabase;
  const engine = createSagaEngine({ registry: createSagaRegistry([saga]), source: '/services/rt' });

  beforeAll(async () => {
    db = await createTestDatabase('saga_retention');
    await migrate(db.sql, [outboxMigrations, inboxMigrations, sagaMigrations]);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const handle = (event: CloudEvent) => db.sql.transaction((tx) => engine.handle(tx, event));
  const start = (key: string) => handle(createEvent(Started, { subject: key, data: {}, source: '/test' }));
  const reply = (key: string, def: typeof Done, step: number, phase: 'do' | 'undo' = 'do') => {
    const id = instanceId('rt', key);
    return handle(
      createEvent(def, {
        subject: key,
        data: { key },
        source: '/test',
        correlationId: id,
        causationId: commandId(id, step, phase, 1),
      }),
    );
  };
  const complete = async (key: string) => {
    await start(key);
    await reply(key, Done, 0);
    await reply(key, Done, 1);
  };
  const compensate = async (key: string) => {
    await start(key);
    await reply(key, Done, 0);
    await reply(key, Declined, 1);
    await reply(key, Undone, 0, 'undo');
  };
  const statusOf = async (key: string) =>
    (
      await db.sql.query<{ status: string }>('SELECT status FROM saga_instance WHERE id = $1', [
        instanceId('rt', key),
      ])
    ).rows[0]?.status;
  const rowsOf = async (table: string, key: string) =>
    (await db.sql.query(`SELECT 1 FROM ${table} WHERE instance_id = $1`, [instanceId('rt', key)])).rowCount;

  it('deletes completed and compensated instances with their rows; never an unfinished one', async () => {
    await complete('done-1');
    await reply('done-1', Done, 1); // a late duplicate reply: parked against the finished instance
    await compensate('comp-1');
    await start('running-1');
    expect(await statusOf('done-1')).toBe('completed');
    expect(await statusOf('comp-1')).toBe('compensated');
    expect(await rowsOf('saga_parked', 'done-1')).toBeGreaterThan(0);

    // Not old enough yet: nothing goes.
    expect(await cleanupSagas(db.sql, { finishedOlderThanMs: 3_600_000 })).toBe(0);
    expect(await cleanupSagas(db.sql, { finishedOlderThanMs: 0 })).toBe(2);
    for (const key of ['done-1', 'comp-1']) {
      expect(await statusOf(key)).toBeUndefined();
      for (const table of ['saga_history', 'saga_parked', 'saga_timer'])
        expect(await rowsOf(table, key)).toBe(0);
    }
    expect(await statusOf('running-1')).toBe('running');
    expect(await rowsOf('saga_history', 'running-1')).toBe(1);
    expect(await rowsOf('saga_timer', 'running-1')).toBe(1);
  });

  it('keeps the history append-only outside the cleanup', async () => {
    await expect(
      db.sql.query('DELETE FROM saga_history WHERE instance_id = $1', [instanceId('rt', 'running-1')]),
    ).rejects.toThrow(/append-only/);
    await expect(db.sql.query(`UPDATE saga_history SET kind = 'x'`)).rejects.toThrow(/append-only/);
  });

  it('runs in the runtime when asked (retention option)', async () => {
    await complete('done-2');
    const runtime = createSagaRuntime({
      sql: db.sql,
      broker: createMemoryBroker(),
      source: '/services/rt',
      sagas: [saga],
      retention: { finishedOlderThanMs: 0, intervalMs: 50 },
    });
    await runtime.start();
    try {
      await complete('done-3');
      await eventually('the finished instances to go', async () =>
        (await statusOf('done-2')) === undefined && (await statusOf('done-3')) === undefined
          ? true
          : undefined,
      );
      expect(await statusOf('running-1')).toBe('running');
    } finally {
      await runtime.stop();
    }
    expect(() =>
      createSagaRuntime({
        sql: db.sql,
        broker: createMemoryBroker(),
        source: '/services/rt',
        sagas: [saga],
        retention: { finishedOlderThanMs: -1 },
      }),
    ).toThrow(/SAGA_OPTIONS_INVALID|retention/);
  });
});
