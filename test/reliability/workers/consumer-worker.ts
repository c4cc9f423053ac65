/**
 * One consumer process: the inbox lives on the consumer database, and the handler writes one
 * side-effect row per event in the handler's transaction. `effects` has no unique constraint,
 * so a handler that ran twice for one event leaves two rows: duplicates are countable. Each row
 * also records the aggregate's previously handled version (in commit order).
 */
import { createPgClient } from '@outrig/db';
import { createConsumer, resolveBroker } from '@outrig/messaging';
import { registry } from '../lib/events.ts';
import { type ConsumerWorkerConfig, readConfig, send } from '../lib/worker-config.ts';

const config = readConfig<ConsumerWorkerConfig>();
const log = (during: string, error: unknown) =>
  process.stderr.write(
    `[consumer ${process.pid}] ${during}: ${(error as Error)?.message ?? String(error)}\n`,
  );

const sql = createPgClient({
  url: config.consumerUrl,
  max: config.poolSize,
  applicationName: 'rel-consumer',
});
const broker = await resolveBroker(config.broker.url, {
  nats: { ...config.broker.options, onError: (e: Error) => log('nats', e) },
  postgres: { ...config.broker.options, onError: (e: Error) => log('bus', e) },
  kafka: { ...config.broker.options, onError: (e: Error) => log('kafka', e) },
  rabbitmq: { ...config.broker.options, onError: (e: Error) => log('rabbitmq', e) },
  redis: { ...config.broker.options, onError: (e: Error) => log('redis', e) },
});
const failing = new Set(config.failAggregates);
const crashing = new Set(config.crashAggregates ?? []);

const consumer = createConsumer({
  sql,
  broker,
  group: config.group,
  maxAttempts: config.maxAttempts,
  backoff: config.backoff,
  heartbeatMs: config.heartbeatMs,
  maxInFlight: config.maxInFlight,
  handlerTimeoutMs: 10_000,
  ...(config.validate ? { validate: registry } : {}),
  onOutcome: (record) => {
    if (record.outcome === 'dead_lettered') {
      send({ t: 'dead-letter', reason: record.reason ?? 'unknown', type: record.type });
    }
  },
  onError: (error, info) => {
    if (!failing.has(info.key)) log(`${info.stage} ${info.eventId}`, error);
  },
});

await consumer.subscribe(config.topic, async (event, { tx }) => {
  if (event.subject !== undefined && failing.has(event.subject)) throw new Error('poison aggregate');
  // Dies mid-handler, before commit and ack, like an out-of-memory kill would.
  if (event.subject !== undefined && crashing.has(event.subject)) process.exit(1);
  // One statement: move the aggregate's handled version under its row lock (a concurrent handler
  // of the same aggregate waits for this transaction), and record the effect with the version it
  // found there.
  await tx.query(
    `WITH cur AS (
       INSERT INTO handled_version AS h (aggregate_id, version) VALUES ($2, $3)
       ON CONFLICT (aggregate_id) DO UPDATE SET version = excluded.version, prev = h.version
       RETURNING prev)
     INSERT INTO effects (event_id, aggregate_id, version, prev_version) SELECT $1, $2, $3, prev FROM cur`,
    [event.id, event.subject, event.aggregateversion],
  );
});
send({ t: 'ready', pid: process.pid });

process.once('SIGTERM', () => {
  void (async () => {
    await consumer.close().catch((e) => log('close', e));
    await broker.close().catch((e) => log('broker close', e));
    await sql.close().catch(() => {});
    process.exit(0);
  })();
});
