import { migrate } from '@outrig/db';
import {
  type CloudEvent,
  createEvent,
  defineEvent,
  inboxMigrations,
  outboxMigrations,
} from '@outrig/messaging';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commandId,
  createSagaEngine,
  createSagaRegistry,
  defineSaga,
  instanceId,
  sagaMigrations,
} from '../src/index.ts';

// A `command()` builder that throws is a bug in the definition. The message that needed the
// command must not be dead-lettered (lost to the saga): the instance is parked where it stands,
// the failure recorded in its history, the message kept in saga_parked — and once the
// definition is fixed, an operator's retry carries on.

const hasPg = await serverAvailable('postgres');

const Started = defineEvent({ type: 'cf.started', aggregateType: 'cf', schema: Type.Object({}) });
const Cmd = Type.Object({ key: Type.String() });
const DoA = defineEvent({ type: 'cf.do-a', aggregateType: 'cf-cmd', topic: 'cf.commands', schema: Cmd });
const DoB = defineEvent({ type: 'cf.do-b', aggregateType: 'cf-cmd', topic: 'cf.commands', schema: Cmd });
const DoneA = defineEvent({ type: 'cf.done-a', aggregateType: 'cf', topic: 'cf.replies', schema: Cmd });
const DoneB = defineEvent({ type: 'cf.done-b', aggregateType: 'cf', topic: 'cf.replies', schema: Cmd });

/** Which builders throw, switched by the tests ("the definition is fixed and redeployed"). */
const broken = { a: new Set<string>(), b: new Set<string>() };
const saga = defineSaga<{ key: string }>({
  name: 'cf',
  version: 1,
  startedBy: { event: Started, data: (e) => ({ key: String(e.subject) }) },
  steps: [
    {
      name: 'a',
      command: (d) => {
        if (broken.a.has(d.key)) throw new Error('a is broken');
        return { definition: DoA, data: { key: d.key } };
      },
      ok: [DoneA],
    },
    {
      name: 'b',
      command: (d) => {
        if (broken.b.has(d.key)) throw new TypeError("Cannot read properties of undefined (reading 'sku')");
        return { definition: DoB, data: { key: d.key } };
      },
      ok: [DoneB],
    },
  ],
});

describe.skipIf(!hasPg)('a throwing command() builder parks the instance and records it', () => {
  let db: TestDatabase;
  const engine = createSagaEngine({ registry: createSagaRegistry([saga]), source: '/services/cf' });

  beforeAll(async () => {
    db = await createTestDatabase('saga_command_failure');
    await migrate(db.sql, [outboxMigrations, inboxMigrations, sagaMigrations]);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const handle = (event: CloudEvent) => db.sql.transaction((tx) => engine.handle(tx, event));
  const start = (key: string) => handle(createEvent(Started, { subject: key, data: {}, source: '/test' }));
  const reply = (key: string, def: typeof DoneA, step: number, attempt = 1) => {
    const id = instanceId('cf', key);
    return handle(
      createEvent(def, {
        subject: key,
        data: { key },
        source: '/test',
        correlationId: id,
        causationId: commandId(id, step, 'do', attempt),
      }),
    );
  };
  const instance = async (key: string) => {
    const id = instanceId('cf', key);
    const row = await db.sql.query<{ status: string; state: { step: number; attempt: number } }>(
      'SELECT status, state FROM saga_instance WHERE id = $1',
      [id],
    );
    const history = await db.sql.query<{ kind: string; detail: Record<string, unknown> | null }>(
      'SELECT kind, detail FROM saga_history WHERE instance_id = $1 ORDER BY seq',
      [id],
    );
    const parked = await db.sql.query<{ reason: string }>(
      'SELECT reason FROM saga_parked WHERE instance_id = $1',
      [id],
    );
    const commands = await db.sql.query<{ type: string }>(
      `SELECT event->>'type' AS type FROM outbox WHERE event->>'correlationid' = $1 ORDER BY seq`,
      [id],
    );
    return {
      ...row.rows[0]!,
      history: history.rows,
      parked: parked.rows.map((r) => r.reason),
      commands: commands.rows.map((r) => r.type),
    };
  };

  it('a reply whose next command cannot be built: parked and recorded, not thrown (no dead letter)', async () => {
    broken.b.add('k1');
    expect(await start('k1')).toBe('started');
    expect(await reply('k1', DoneA, 0)).toBe('parked');
    const i = await instance('k1');
    // Where it stood: still at step a, its reply kept.
    expect(i.status).toBe('running');
    expect(i.state.step).toBe(0);
    expect(i.history.map((h) => h.kind)).toEqual(['started', 'command_failed']);
    expect(i.history[1]!.detail).toMatchObject({
      error: expect.stringContaining("Cannot read properties of undefined (reading 'sku')"),
      failed: { step: 1, phase: 'do' },
      cause: 'cf.done-a',
    });
    expect(i.parked).toHaveLength(1);
    expect(i.parked[0]).toMatch(/step b of saga cf could not be built/);
    expect(i.commands).toEqual(['cf.do-a']);

    // Fixed and redeployed: the operator retries; step a's command goes again (attempt 2), its
    // participant answers again (idempotent), and the saga carries on to the end.
    broken.b.delete('k1');
    expect(await engine.act(db.sql, instanceId('cf', 'k1'), 'retry')).toBe('running');
    expect(await reply('k1', DoneA, 0, 2)).toBe('transition');
    expect(await reply('k1', DoneB, 1)).toBe('transition');
    const done = await instance('k1');
    expect(done.status).toBe('completed');
    expect(done.commands).toEqual(['cf.do-a', 'cf.do-a', 'cf.do-b']);
  });

  it('a start whose first command cannot be built: the instance exists, parked before its first send', async () => {
    broken.a.add('k2');
    expect(await start('k2')).toBe('parked');
    const i = await instance('k2');
    expect(i.status).toBe('running');
    expect(i.history.map((h) => h.kind)).toEqual(['command_failed']);
    expect(i.parked).toHaveLength(1);
    expect(i.commands).toEqual([]);
    // While still broken, an operator's retry is refused with the coded error, nothing changes.
    await expect(engine.act(db.sql, instanceId('cf', 'k2'), 'retry')).rejects.toMatchObject({
      code: 'SAGA_COMMAND_FAILED',
    });
    expect((await instance('k2')).history).toHaveLength(1);
    broken.a.delete('k2');
    expect(await engine.act(db.sql, instanceId('cf', 'k2'), 'retry')).toBe('running');
    expect((await instance('k2')).commands).toEqual(['cf.do-a']);
  });
});
