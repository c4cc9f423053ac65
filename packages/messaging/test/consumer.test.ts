import { randomUUID } from 'node:crypto';
import { isOutrigError } from '@outrig/core/errors';
import { migrate } from '@outrig/db';
import {
  type Broker,
  type CloudEvent,
  type ConsumeErrorInfo,
  type ConsumeRecord,
  type ConsumerOptions,
  cleanupInbox,
  createConsumer,
  createMemoryBroker,
  type DeadLetterEvent,
  type Delivery,
  type DeliveryHandler,
  inboxMigrations,
  type OutgoingMessage,
} from '@outrig/messaging';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const ok = await serverAvailable('postgres');

/** A broker driven by the test: each delivery is handed in by hand and its ack/nack observed. */
function manualBroker() {
  let handler: DeliveryHandler | undefined;
  const published: OutgoingMessage[] = [];
  const broker: Broker = {
    name: 'manual',
    capabilities: {
      persistent: true,
      consumerGroups: true,
      orderedByKey: true,
      brokerDedupe: false,
      headers: false,
    },
    async publish(messages) {
      published.push(...messages);
      return messages.map(() => ({ ok: true as const }));
    },
    async subscribe(_topics, _options, h) {
      handler = h;
      return { close: async () => {} };
    },
    ping: async () => {},
    close: async () => {},
  };
  function deliver(event: CloudEvent, attempt = 1) {
    const log = { acks: 0, nacks: [] as (number | undefined)[] };
    const delivery: Delivery = {
      topic: 'order.events',
      key: event.subject ?? 'k',
      event,
      attempt,
      ack: async () => {
        log.acks++;
      },
      nack: async (o) => {
        log.nacks.push(o?.delayMs);
      },
    };
    if (!handler) throw new Error('not subscribed');
    return { log, done: handler(delivery) };
  }
  return { broker, published, deliver };
}

function event(overrides: Partial<CloudEvent> = {}): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/services/orders',
    type: 'order.placed',
    subject: 'order-1',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { total: 10 },
    ...overrides,
  };
}

describe.skipIf(!ok)('createConsumer on PostgreSQL', () => {
  let db: TestDatabase;
  const consumers: { close(): Promise<void> }[] = [];
  let n = 0;
  const group = () => `g${++n}`;

  beforeAll(async () => {
    db = await createTestDatabase('consumer');
    await migrate(db.sql, [inboxMigrations]);
    await db.sql.query(`CREATE TABLE effects (event_id uuid NOT NULL, note text,
      CONSTRAINT effects_once UNIQUE (event_id) DEFERRABLE INITIALLY DEFERRED)`);
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await db?.drop();
  });

  function consumer(broker: Broker, options: Partial<ConsumerOptions> = {}) {
    const c = createConsumer({
      sql: db.sql,
      broker,
      group: group(),
      backoff: { baseMs: 5, maxMs: 20 },
      ...options,
    });
    consumers.push(c);
    return c;
  }

  const effects = async (id: string) =>
    (await db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM effects WHERE event_id = $1', [id]))
      .rows[0]?.n;

  it('skips and acks a duplicate delivery of the same event', async () => {
    const m = manualBroker();
    const c = consumer(m.broker);
    let calls = 0;
    await c.subscribe('order.events', async (e, { tx }) => {
      calls++;
      await tx.query('INSERT INTO effects (event_id) VALUES ($1)', [e.id]);
    });
    const e = event();
    const first = m.deliver(e);
    await first.done;
    const second = m.deliver(e, 2);
    await second.done;
    expect(calls).toBe(1);
    expect([first.log.acks, second.log.acks]).toEqual([1, 1]);
    expect(await effects(e.id)).toBe(1);
    expect(c.stats()).toMatchObject({ handled: 1, duplicatesSkipped: 1 });
    expect(c.stats().consumed['order.placed']).toEqual({ handled: 1, duplicate: 1 });
  });

  it('does not ack when the transaction fails at COMMIT; the retry commits, then acks', async () => {
    const m = manualBroker();
    const e = event();
    const ackedAtFailure: number[] = [];
    let log: { acks: number } = { acks: 0 };
    const errors: unknown[] = [];
    const c = consumer(m.broker, {
      onError: (error, info) => {
        errors.push(error);
        if (info.stage === 'handler') ackedAtFailure.push(log.acks);
      },
    });
    await c.subscribe('order.events', async (ev, { tx, attempt }) => {
      await tx.query('INSERT INTO effects (event_id, note) VALUES ($1, $2)', [ev.id, 'handler']);
      // The first attempt breaks a deferred unique constraint: the handler succeeds, COMMIT fails.
      if (attempt === 1)
        await tx.query('INSERT INTO effects (event_id, note) VALUES ($1, $2)', [ev.id, 'again']);
    });
    const d = m.deliver(e);
    log = d.log;
    await d.done;
    expect(ackedAtFailure).toEqual([0]);
    expect((errors[0] as { code?: string }).code).toBe('23505');
    expect(d.log.acks).toBe(1);
    expect(await effects(e.id)).toBe(1);
    expect(c.stats()).toMatchObject({ handled: 1, failedAttempts: 1 });
  });

  it('retries with backoff, then dead-letters with the reason, attempts and topic, then acks', async () => {
    const m = manualBroker();
    const records: ConsumeRecord[] = [];
    const c = consumer(m.broker, { maxAttempts: 3, onOutcome: (r) => records.push(r) });
    const attempts: number[] = [];
    await c.subscribe('order.events', async (_e, { attempt, tx }) => {
      attempts.push(attempt);
      await tx.query('INSERT INTO effects (event_id) VALUES ($1)', [_e.id]);
      throw new Error('payment service down');
    });
    const e = event();
    const d = m.deliver(e);
    await d.done;
    expect(attempts).toEqual([1, 2, 3]);
    expect(await effects(e.id)).toBe(0); // every attempt rolled back
    expect(m.published).toHaveLength(1);
    const dead = m.published[0] as OutgoingMessage;
    expect(dead.topic).toBe('order.events.dlq');
    expect(dead.key).toBe('order-1');
    expect(dead.event as DeadLetterEvent).toMatchObject({
      id: e.id,
      data: e.data,
      deadletterreason: 'handler_failed: payment service down',
      deadletterattempts: 3,
      deadlettertopic: 'order.events',
    });
    expect(d.log).toEqual({ acks: 1, nacks: [] });
    expect(c.stats()).toMatchObject({ failedAttempts: 3, deadLettered: 1, handled: 0 });
    expect(records.map((r) => r.outcome)).toEqual(['failed', 'failed', 'failed', 'dead_lettered']);
  });

  it('counts crashes per event in the database: a message that keeps crashing its consumers is dead-lettered without running', async () => {
    const m = manualBroker();
    const g = `crash-loop-${Date.now()}`;
    const c = consumer(m.broker, { maxAttempts: 3, group: g });
    const ran: string[] = [];
    await c.subscribe('order.events', async (e) => {
      ran.push(e.id);
    });
    // Two earlier redeliveries of the poison started its handler and crashed the process.
    const poison = event();
    await db.sql.query('INSERT INTO inbox_starts (consumer_group, event_id, starts) VALUES ($1, $2, 2)', [
      g,
      poison.id,
    ]);
    const d = m.deliver(poison, 4);
    await d.done;
    expect(ran).toEqual([]);
    expect((m.published[0]?.event as DeadLetterEvent | undefined)?.deadletterreason).toMatch(
      /^redelivery_limit: started 4 times/,
    );
    expect(d.log.acks).toBe(1);
  });

  it("does not blame a message for its neighbours' crashes: a high broker count alone is not a crash loop", async () => {
    const m = manualBroker();
    const c = consumer(m.broker, { maxAttempts: 3 });
    const ran: number[] = [];
    await c.subscribe('order.events', async (_e, { attempt }) => {
      ran.push(attempt);
    });
    // Redelivered many times because other messages crashed the processes holding it.
    const innocent = event();
    await m.deliver(innocent, 7).done;
    expect(ran).toEqual([2]);
    expect(m.published).toHaveLength(0);
    const handled = await db.sql.query('SELECT 1 FROM inbox WHERE event_id = $1', [innocent.id]);
    expect(handled.rowCount).toBe(1);
    const starts = await db.sql.query('SELECT 1 FROM inbox_starts WHERE event_id = $1', [innocent.id]);
    expect(starts.rowCount).toBe(0);
  });

  it('acks a redelivery of an event already handled as a duplicate, never dead-letters it', async () => {
    const m = manualBroker();
    const c = consumer(m.broker, { maxAttempts: 2 });
    let runs = 0;
    await c.subscribe('order.events', async () => {
      runs++;
    });
    const e = event();
    await m.deliver(e, 1).done;
    // The ack was lost; the broker keeps redelivering.
    const again = m.deliver(e, 9);
    await again.done;
    expect(runs).toBe(1);
    expect(m.published).toHaveLength(0);
    expect(again.log.acks).toBe(1);
  });

  it('times out a slow handler: its transaction is rolled back and refuses late writes', async () => {
    const m = manualBroker();
    const errors: { error: unknown; info: ConsumeErrorInfo }[] = [];
    const c = consumer(m.broker, {
      handlerTimeoutMs: 300,
      onError: (error, info) => errors.push({ error, info }),
    });
    let lateWrite: unknown;
    let aborted = false;
    await c.subscribe('order.events', async (e, { tx, attempt, signal }) => {
      await tx.query('INSERT INTO effects (event_id, note) VALUES ($1, $2)', [e.id, `attempt ${attempt}`]);
      if (attempt > 1) return;
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      aborted = true;
      lateWrite = await tx
        .query('INSERT INTO effects (event_id, note) VALUES ($1, $2)', [e.id, 'late'])
        .catch((x) => x);
    });
    const e = event();
    const d = m.deliver(e);
    await d.done;
    expect(aborted).toBe(true);
    expect(isOutrigError(errors[0]?.error, 'CONSUMER_HANDLER_TIMEOUT')).toBe(true);
    expect(isOutrigError(lateWrite, 'CONSUMER_TX_CLOSED')).toBe(true);
    const notes = await db.sql.query<{ note: string }>('SELECT note FROM effects WHERE event_id = $1', [
      e.id,
    ]);
    expect(notes.rows.map((r) => r.note)).toEqual(['attempt 2']);
    expect(d.log.acks).toBe(1);
  });

  it('dead-letters an invalid event at once, without running the handler', async () => {
    const m = manualBroker();
    const registryLike = {
      validate(e: CloudEvent) {
        if ((e.data as { total?: unknown }).total === undefined) throw new Error('data/total is required');
        return e;
      },
    };
    const c = consumer(m.broker, { validate: registryLike });
    let calls = 0;
    await c.subscribe('order.events', async () => {
      calls++;
    });
    const bad = m.deliver(event({ data: {} }));
    const notUuid = m.deliver(event({ id: 'not-a-uuid', subject: 'order-2' }));
    await Promise.all([bad.done, notUuid.done]);
    expect(calls).toBe(0);
    const reasons = m.published.map((p) => (p.event as DeadLetterEvent).deadletterreason).sort();
    expect(reasons).toEqual([
      'invalid: Event not-a-uuid is not a valid CloudEvent: id must be a UUID',
      'invalid: data/total is required',
    ]);
    expect(m.published.every((p) => (p.event as DeadLetterEvent).deadletterattempts === 0)).toBe(true);
    expect([bad.log.acks, notUuid.log.acks]).toEqual([1, 1]);
    expect(c.stats().consumed['order.placed']).toEqual({ dead_lettered: 2 });
  });

  it('nacks instead of acking when the dead-letter publish fails', async () => {
    const m = manualBroker();
    m.broker.publish = async (messages) =>
      messages.map(() => ({ ok: false as const, error: new Error('down') }));
    const errors: ConsumeErrorInfo[] = [];
    const c = consumer(m.broker, { maxAttempts: 1, onError: (_e, info) => errors.push(info) });
    await c.subscribe('order.events', async () => {
      throw new Error('nope');
    });
    const d = m.deliver(event());
    await d.done;
    expect(d.log.acks).toBe(0);
    expect(d.log.nacks).toHaveLength(1);
    expect(errors.map((i) => i.stage)).toEqual(['handler', 'dead_letter']);
    expect(c.stats().released).toBe(1);
  });

  it('keeps each key in order while different keys run concurrently', async () => {
    const broker = createMemoryBroker();
    const c = consumer(broker);
    const seen = new Map<string, number[]>();
    let running = 0;
    let maxRunning = 0;
    await c.subscribe('order.events', async (e) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 2 + Math.floor(Math.random() * 8)));
      const key = e.subject ?? '';
      seen.set(key, [...(seen.get(key) ?? []), (e.data as { seq: number }).seq]);
      running--;
    });
    const keys = ['a', 'b', 'c', 'd'];
    for (let seq = 0; seq < 5; seq++) {
      await broker.publish(
        keys.map((k) => ({ topic: 'order.events', key: k, event: event({ subject: k, data: { seq } }) })),
      );
    }
    for (let i = 0; i < 400 && c.stats().handled < 20; i++) await new Promise((r) => setTimeout(r, 10));
    for (const k of keys) expect(seen.get(k)).toEqual([0, 1, 2, 3, 4]);
    expect(maxRunning).toBeGreaterThan(1);
    await broker.close();
  });

  it('lets every other key flow while a poison key is retried, then dead-letters it', async () => {
    const broker = createMemoryBroker();
    const dead: Delivery[] = [];
    await broker.subscribe(['order.events.dlq'], { group: 'dlq-reader' }, async (d) => {
      dead.push(d);
      await d.ack();
    });
    const c = consumer(broker, { maxAttempts: 2 });
    const others = ['a', 'b', 'c', 'd', 'e', 'f'];
    let handledWhilePoisonHeld = -1;
    await c.subscribe('order.events', async (e) => {
      if (e.subject !== 'poison') return;
      if (handledWhilePoisonHeld < 0) {
        for (let i = 0; i < 400 && c.stats().handled < others.length; i++)
          await new Promise((r) => setTimeout(r, 5));
        handledWhilePoisonHeld = c.stats().handled;
      }
      throw new Error('poison');
    });
    await broker.publish(
      ['poison', ...others].map((k) => ({ topic: 'order.events', key: k, event: event({ subject: k }) })),
    );
    for (let i = 0; i < 400 && dead.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(handledWhilePoisonHeld).toBe(others.length);
    expect(dead.map((d) => d.key)).toEqual(['poison']);
    await broker.close();
  });

  it('cleanupInbox deletes only rows older than the retention, in batches', async () => {
    const g = group();
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const [i, id] of ids.entries()) {
      await db.sql.query(
        `INSERT INTO inbox (consumer_group, event_id, event_type, handled_at)
         VALUES ($1, $2, 't', clock_timestamp() - make_interval(hours => $3))`,
        [g, id, i < 3 ? 48 : 0],
      );
    }
    expect(await cleanupInbox(db.sql, { olderThanMs: 24 * 3600_000, batchSize: 2 })).toBe(3);
    const left = await db.sql.query<{ event_id: string }>(
      'SELECT event_id FROM inbox WHERE consumer_group = $1',
      [g],
    );
    expect(left.rows.map((r) => r.event_id).sort()).toEqual(ids.slice(3).sort());
    await expect(cleanupInbox(db.sql, { olderThanMs: 0 })).rejects.toSatisfy((e) =>
      isOutrigError(e, 'INBOX_OPTIONS_INVALID'),
    );
  });

  it('heartbeats a held delivery so the broker does not redeliver it meanwhile', async () => {
    const memory = createMemoryBroker({ ackTimeoutMs: 100 });
    let deliveries = 0;
    const counting: Broker = {
      name: memory.name,
      capabilities: memory.capabilities,
      publish: (m) => memory.publish(m),
      ping: () => memory.ping(),
      close: () => memory.close(),
      subscribe: (topics, options, handler) =>
        memory.subscribe(topics, options, (d) => {
          deliveries++;
          return handler(d);
        }),
    };
    const c = consumer(counting, { heartbeatMs: 20 });
    await c.subscribe('order.events', async () => {
      await new Promise((r) => setTimeout(r, 300)); // three times the broker's ack timeout
    });
    await memory.publish([{ topic: 'order.events', key: 'k', event: event() }]);
    for (let i = 0; i < 200 && c.stats().handled === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(c.stats().handled).toBe(1);
    expect(deliveries).toBe(1);
    await memory.close();
  });

  it('passes the trace context to the handler and the trace hook', async () => {
    const m = manualBroker();
    const spans: { traceparent: string | undefined; outcome?: string }[] = [];
    const c = consumer(m.broker, {
      trace: {
        start(info) {
          const span: { traceparent: string | undefined; outcome?: string } = {
            traceparent: info.traceparent,
          };
          spans.push(span);
          return {
            run: (fn) => fn(),
            end: (outcome) => {
              span.outcome = outcome;
            },
          };
        },
      },
    });
    let seen: string | undefined;
    await c.subscribe('order.events', async (_e, ctx) => {
      seen = ctx.traceparent;
    });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await m.deliver(event({ traceparent })).done;
    expect(seen).toBe(traceparent);
    expect(spans).toEqual([{ traceparent, outcome: 'handled' }]);
  });

  it('close() hands back a delivery waiting for its retry', async () => {
    const m = manualBroker();
    const c = consumer(m.broker, { backoff: { baseMs: 60_000, maxMs: 60_000 } });
    let failed = false;
    await c.subscribe('order.events', async () => {
      failed = true;
      throw new Error('later');
    });
    const d = m.deliver(event());
    for (let i = 0; i < 200 && !failed; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    await c.close();
    await d.done;
    expect(d.log).toEqual({ acks: 0, nacks: [0] });
    expect(c.stats().released).toBe(1);
    await expect(c.subscribe('x', async () => {})).rejects.toSatisfy((e) =>
      isOutrigError(e, 'CONSUMER_CLOSED'),
    );
  });

  it('rejects bad options at creation with CONSUMER_OPTIONS_INVALID', async () => {
    const m = manualBroker();
    const invalid = (e: unknown) => isOutrigError(e, 'CONSUMER_OPTIONS_INVALID');
    expect(() => createConsumer({ sql: db.sql, broker: m.broker, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() =>
      createConsumer({ sql: db.sql, broker: m.broker, backoff: { baseMs: 10, maxMs: 5 } }),
    ).toThrow(/backoff/);
    expect(() => createConsumer({ broker: m.broker } as unknown as ConsumerOptions)).toThrow(/sql/);
    const noGroup = createConsumer({ sql: db.sql, broker: m.broker });
    await expect(noGroup.subscribe('t', async () => {})).rejects.toSatisfy(invalid);
    await expect(noGroup.subscribe([], async () => {}, { group: 'g' })).rejects.toSatisfy(invalid);
  });
});
