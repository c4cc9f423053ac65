import { randomUUID } from 'node:crypto';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
} from '@opentelemetry/api';
import { migrate } from '@outrig/db';
import {
  MESSAGING_SPAN_ATTRIBUTES as ATTR,
  type Broker,
  type CloudEvent,
  type Consumer,
  type ConsumerHandler,
  createConsumer,
  createOutbox,
  createOutboxRelay,
  defineEvent,
  inboxMigrations,
  MESSAGING_SPAN_NAMES as NAMES,
  type OutboxRelay,
  outboxMigrations,
  outboxTriggerMigration,
  resolveBroker,
} from '@outrig/messaging';
import {
  createInMemoryTracing,
  createTestDatabase,
  deleteNatsStreams,
  type InMemoryTracing,
  type ReadableSpan,
  serverAvailable,
  type TestDatabase,
  testServers,
} from '@outrig/testing';
import { Type } from 'typebox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// One trace from an HTTP-like "request" span through outbox.write → relay.publish → consume →
// the handler's own span, over each transport, with a real in-memory OpenTelemetry SDK.
const hasPg = await serverAvailable('postgres');
const hasNats = hasPg && (await serverAvailable('nats'));

const run = randomUUID().replaceAll('-', '').slice(0, 8);
const NATS_PREFIX = `TRACE${run}`;
const CAPTURE_TOPIC = `trace-capture-${run}.events`;

interface Pipeline {
  broker: Broker;
  relay: OutboxRelay;
  consumer: Consumer;
  topic: string;
}

describe.skipIf(!hasPg)('messaging spans (OpenTelemetry)', () => {
  let db: TestDatabase;
  let tracing: InMemoryTracing;
  const outbox = createOutbox({ source: '/services/tracing-test' });
  const pipelines: Pipeline[] = [];

  beforeAll(async () => {
    tracing = createInMemoryTracing();
    db = await createTestDatabase('tracing');
    const tables = {
      name: 'tracing-test',
      migrations: [
        {
          id: '0001_tables',
          sql: `create table seen (event_id uuid primary key, tenant text);
                create table gadget (id uuid primary key, name text not null);`,
        },
        outboxTriggerMigration({
          id: '0002_gadget_outbox',
          table: 'gadget',
          aggregateType: 'gadget',
          source: '/services/tracing-test',
          topic: CAPTURE_TOPIC,
        }),
      ],
    };
    await migrate(db.sql, [outboxMigrations, inboxMigrations, tables]);
  });
  afterEach(async () => {
    for (const p of pipelines.splice(0)) {
      await p.consumer.close();
      await p.relay.stop();
      await p.broker.close();
    }
  });
  afterAll(async () => {
    await tracing?.shutdown();
    await db?.drop();
    if (hasNats) await deleteNatsStreams(testServers.nats, NATS_PREFIX);
  });

  /** Broker + relay + consumer for `transport`, on a topic of its own. */
  async function pipeline(
    transport: string,
    handler: ConsumerHandler,
    topic = `trace-${transport}-${randomUUID().slice(0, 8)}.events`,
  ): Promise<Pipeline> {
    const url = transport === 'memory' ? 'memory:' : transport === 'postgres' ? db.url : testServers.nats;
    const broker = await resolveBroker(url, { nats: { streamPrefix: NATS_PREFIX } });
    const consumer = createConsumer({
      sql: db.sql,
      broker,
      group: `trace-${run}`,
      backoff: { baseMs: 10, maxMs: 20 },
      maxAttempts: 2,
    });
    await consumer.subscribe(topic, handler);
    const relay = createOutboxRelay({ sql: db.sql, broker, pollIntervalMs: 50 });
    await relay.start();
    const p = { broker, relay, consumer, topic };
    pipelines.push(p);
    return p;
  }

  const ThingHappened = (topic: string) =>
    defineEvent({
      type: 'thing.happened',
      aggregateType: 'thing',
      topic,
      schema: Type.Object({ n: Type.Number() }),
    });

  /** Publishes one event in a unit of work inside `ctx` (default: a new "request" span). */
  async function publishOne(topic: string, parent = context.active()): Promise<CloudEvent> {
    return context.with(parent, () =>
      outbox.unitOfWork(db.sql, async (uow) =>
        uow.publish(ThingHappened(topic), { subject: randomUUID(), data: { n: 1 } }),
      ),
    );
  }

  /** A handler that records the event in `seen` under a span of its own (a "pg query" stand-in). */
  const delivered = new Map<string, CloudEvent>();
  const recordingHandler: ConsumerHandler = async (event, { tx }) => {
    delivered.set(event.id, event);
    await tracing.tracer.startActiveSpan('handler.insert', async (span) => {
      const tenant = propagation.getBaggage(context.active())?.getEntry('tenant')?.value ?? null;
      await tx.query('insert into seen (event_id, tenant) values ($1, $2)', [event.id, tenant]);
      span.end();
    });
  };

  async function waitForSpan(name: string, messageId: string): Promise<ReadableSpan> {
    for (let i = 0; i < 1500; i++) {
      const found = tracing.spansNamed(name).find((s) => s.attributes[ATTR.messageId] === messageId);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${name} span for ${messageId}`);
  }

  async function waitUntil(check: () => boolean): Promise<void> {
    for (let i = 0; i < 1500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(check()).toBe(true);
  }

  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  const idOf = (span: ReadableSpan) => span.spanContext().spanId;

  const transports = [
    { name: 'memory', run: true },
    { name: 'postgres', run: true },
    { name: 'nats', run: hasNats },
  ];

  for (const { name: transport, run: available } of transports) {
    it.skipIf(!available)(
      `${transport}: request → outbox.write → relay.publish → consume → handler is one trace`,
      async () => {
        const { topic, broker } = await pipeline(transport, recordingHandler);
        const baggage = propagation.createBaggage({ tenant: { value: 'acme' } });
        let request!: SpanContext;
        let event!: CloudEvent;
        await tracing.tracer.startActiveSpan(
          'request',
          { kind: SpanKind.SERVER },
          propagation.setBaggage(ROOT_CONTEXT, baggage),
          async (span) => {
            event = await publishOne(topic);
            span.end();
            request = span.spanContext();
          },
        );
        const consume = await waitForSpan(NAMES.consume, event.id);
        const write = tracing
          .spansNamed(NAMES.outboxWrite)
          .find((s) => s.attributes[ATTR.messageId] === event.id);
        const publish = await waitForSpan(NAMES.relayPublish, event.id);
        const handler = tracing.spansNamed('handler.insert').find((s) => parentOf(s) === idOf(consume));
        if (!write || !handler) throw new Error('outbox.write or handler span missing');

        // One trace, and the chain of parents.
        const traceId = request.traceId;
        for (const s of [write, publish, consume, handler]) expect(s.spanContext().traceId).toBe(traceId);
        expect(parentOf(write)).toBe(request.spanId);
        expect(parentOf(publish)).toBe(idOf(write));
        expect(parentOf(consume)).toBe(idOf(publish)); // the transport carried the publish context
        expect(parentOf(handler)).toBe(idOf(consume));

        // Kinds and attributes.
        expect(write.kind).toBe(SpanKind.INTERNAL);
        expect(publish.kind).toBe(SpanKind.PRODUCER);
        expect(consume.kind).toBe(SpanKind.CONSUMER);
        expect(write.attributes).toMatchObject({
          [ATTR.system]: 'outrig.outbox',
          [ATTR.destination]: topic,
          [ATTR.eventType]: 'thing.happened',
          [ATTR.eventSubject]: event.subject,
          [ATTR.batchCount]: 1,
        });
        expect(publish.attributes).toMatchObject({
          [ATTR.system]: broker.name,
          [ATTR.destination]: topic,
          [ATTR.eventType]: 'thing.happened',
        });
        expect(consume.attributes).toMatchObject({
          [ATTR.system]: broker.name,
          [ATTR.destination]: topic,
          [ATTR.consumerGroup]: `trace-${run}`,
          [ATTR.consumeOutcome]: 'handled',
          [ATTR.consumeAttempts]: 1,
        });

        // The event keeps the producer's context (immutable), which the consume span links to.
        const writeContext = write.spanContext();
        expect(delivered.get(event.id)?.traceparent).toBe(`00-${traceId}-${writeContext.spanId}-01`);
        expect(consume.links.map((l) => l.context.spanId)).toEqual([writeContext.spanId]);
        const row = await db.sql.query<{ traceparent: string; baggage: string }>(
          'select traceparent, baggage from outbox where id = $1',
          [event.id],
        );
        expect(row.rows[0]?.traceparent).toBe(`00-${traceId}-${writeContext.spanId}-01`);
        expect(row.rows[0]?.baggage).toBe('tenant=acme');

        // W3C baggage reached the handler.
        const seen = await db.sql.query<{ tenant: string }>('select tenant from seen where event_id = $1', [
          event.id,
        ]);
        expect(seen.rows).toEqual([{ tenant: 'acme' }]);
      },
    );

    it.skipIf(!available)(
      `${transport}: an unsampled traceparent yields no recorded spans downstream`,
      async () => {
        const traced: string[] = [];
        const { topic, consumer, relay } = await pipeline(transport, async (event, ctx) => {
          traced.push(ctx.traceparent ?? '');
          await recordingHandler(event, ctx);
        });
        const traceId = randomUUID().replaceAll('-', '');
        const unsampled = propagation.extract(ROOT_CONTEXT, {
          traceparent: `00-${traceId}-b7ad6b7169203331-00`,
        });
        const event = await publishOne(topic, unsampled);
        await waitUntil(() => traced.length > 0);
        expect(traced).toHaveLength(1);
        expect(traced[0]).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
        // Once the consumer is idle and the relay stopped, every span of this event has ended.
        await waitUntil(() => consumer.stats().handled === 1 && consumer.stats().inFlight === 0);
        await relay.stop();
        const leaked = tracing
          .spans()
          .filter((s) => s.spanContext().traceId === traceId || s.attributes[ATTR.messageId] === event.id);
        expect(leaked.map((s) => s.name)).toEqual([]);
      },
    );
  }

  it('a failed attempt is an exception on the consume span; a dead letter sets status ERROR', async () => {
    let calls = 0;
    const { topic } = await pipeline('memory', async (event) => {
      calls++;
      if (event.data && (event.data as { n: number }).n === 1 && calls === 1) throw new Error('flaky');
      if ((event.data as { n: number }).n === 2) throw new Error('poison');
    });
    const flaky = await tracing.tracer.startActiveSpan('request', async (span) => {
      const e = await publishOne(topic);
      span.end();
      return e;
    });
    const retried = await waitForSpan(NAMES.consume, flaky.id);
    expect(retried.attributes).toMatchObject({ [ATTR.consumeOutcome]: 'handled', [ATTR.consumeAttempts]: 2 });
    expect(
      retried.events.filter((e) => e.name === 'exception').map((e) => e.attributes?.['exception.message']),
    ).toEqual(['flaky']);
    expect(retried.status.code).toBe(SpanStatusCode.UNSET);

    const poison = await tracing.tracer.startActiveSpan('request', async (span) => {
      const e = await outbox.unitOfWork(db.sql, async (uow) =>
        uow.publish(ThingHappened(topic), { subject: randomUUID(), data: { n: 2 } }),
      );
      span.end();
      return e;
    });
    const dead = await waitForSpan(NAMES.consume, poison.id);
    expect(dead.attributes).toMatchObject({
      [ATTR.consumeOutcome]: 'dead_lettered',
      [ATTR.consumeAttempts]: 2,
    });
    expect(dead.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'poison' });
    expect(dead.events.filter((e) => e.name === 'exception')).toHaveLength(2);
  });

  it('an event captured without a trace context gets no relay span, and a new trace at the consumer', async () => {
    const { consumer } = await pipeline('memory', async () => {}, CAPTURE_TOPIC);
    // Outside a unit of work the capture trigger stores no trace context.
    await db.sql.query('insert into gadget (id, name) values ($1, $2)', [randomUUID(), 'g']);
    await waitUntil(() => consumer.stats().handled === 1 && consumer.stats().inFlight === 0);
    const [event] = (
      await db.sql.query<{ id: string; traceparent: string | null }>(
        'select id::text, traceparent from outbox where topic = $1',
        [CAPTURE_TOPIC],
      )
    ).rows;
    expect(event?.traceparent).toBeNull();
    const consume = await waitForSpan(NAMES.consume, event?.id ?? '');
    expect(consume.parentSpanContext).toBeUndefined();
    expect(consume.links).toEqual([]);
    const publishes = tracing
      .spansNamed(NAMES.relayPublish)
      .filter((s) => s.attributes[ATTR.messageId] === event?.id);
    expect(publishes).toEqual([]);
  });
});
