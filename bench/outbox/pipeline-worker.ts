// A pipeline worker: one child process running any of the producer, relay and consumer roles
// (all three for the single-process layout, one each for the split layout), driven over IPC by
// bench/outbox/pipeline.ts. Never run it by hand.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Broker,
  createConsumer,
  createOutbox,
  createOutboxRelay,
  type OutboxRelay,
} from '@outrig/messaging';
import { createKafkaBroker } from '@outrig/messaging-kafka';
import { createNatsBroker } from '@outrig/messaging-nats';
import { createPostgresBroker } from '@outrig/messaging-postgres';
import { createRabbitMqBroker } from '@outrig/messaging-rabbitmq';
import { createRedisBroker } from '@outrig/messaging-redis';
import { AccountChanged, aggregateOf, INSERT_STATE, nowMs, TOPIC } from './bench-schema.ts';
import { type CountingClient, countingClient } from './counting-pool.ts';
import type {
  FromWorker,
  ProduceCommand,
  Role,
  RoleReport,
  ToWorker,
  WorkerConfig,
} from './pipeline-protocol.ts';

/** Consumer concurrency (at least the partitioned transports' default 16 partitions), and as many pooled connections. */
const consumerInFlight = (config: WorkerConfig) =>
  Math.max(16, config.transport === 'nats' ? config.natsPartitions : 0);
const RELAY_POOL = 4;

const send = (message: FromWorker) => process.send?.(message);
const errors: Record<Role, number> = { producer: 0, relay: 0, consumer: 0 };
const onError = (role: Role) => (error: unknown) => {
  // Survived errors are counted; the first few are shown so a broken setup is visible.
  if (errors[role]++ < 3) console.error(`[bench ${role} ${process.pid}]`, error);
};

interface RoleRuntime {
  role: Role;
  db: CountingClient;
  bus?: CountingClient;
  broker?: Broker;
  extra(): Record<string, number | null>;
  reset(): void;
  stop(): Promise<void>;
}

async function makeBroker(
  config: WorkerConfig,
  role: Role,
): Promise<{ broker: Broker; bus?: CountingClient }> {
  if (config.transport === 'kafka') {
    const broker = await createKafkaBroker({
      brokers: config.kafkaUrl,
      topicPrefix: `${config.streamPrefix}.`,
      onError: onError(role),
    });
    return { broker };
  }
  if (config.transport === 'nats') {
    const broker = await createNatsBroker({
      servers: config.natsUrl,
      streamPrefix: config.streamPrefix,
      partitions: config.natsPartitions,
      onError: onError(role),
    });
    return { broker };
  }
  if (config.transport === 'rabbitmq') {
    const broker = await createRabbitMqBroker({
      url: config.amqpUrl,
      prefix: config.streamPrefix,
      onError: onError(role),
    });
    return { broker };
  }
  if (config.transport === 'redis') {
    const broker = await createRedisBroker({
      url: config.redisUrl,
      prefix: config.streamPrefix,
      onError: onError(role),
    });
    return { broker };
  }
  const bus = countingClient(config.busUrl, role === 'consumer' ? 10 : RELAY_POOL, `bench-bus-${role}`);
  const broker = createPostgresBroker({
    sql: bus.sql,
    // Only subscriptions use LISTEN; the relay's broker only publishes.
    listen: role === 'consumer' ? config.busUrl : false,
    onError: onError(role),
  });
  return { broker, bus };
}

// --- producer ----------------------------------------------------------------------------------

let producerDb: CountingClient | undefined;
let credit = { phase: -1, handled: 0 };
let creditWaiters: (() => void)[] = [];
const outbox = createOutbox({ source: '/services/bench' });

async function startProducer(config: WorkerConfig): Promise<RoleRuntime> {
  const db = countingClient(config.producerUrl, config.clients, 'bench-producer');
  // Open every connection before the first measured commit.
  await Promise.all(Array.from({ length: config.clients }, () => db.sql.query('SELECT 1')));
  producerDb = db;
  return { role: 'producer', db, extra: () => ({}), reset: () => {}, stop: () => db.sql.close() };
}

async function produce(config: WorkerConfig, cmd: ProduceCommand): Promise<void> {
  const db = producerDb!;
  const samples: number[] = [];
  let committed = 0;
  let failed = 0;
  const startedAt = nowMs();
  const end = startedAt + cmd.seconds * 1000;
  const gapMs = 1000 / cmd.rate;
  const loop = async (c: number) => {
    for (let i = 0; ; i++) {
      if (cmd.mode === 'paced') {
        const due = startedAt + (i * config.clients + c) * gapMs;
        if (due >= end) return;
        const wait = due - nowMs();
        if (wait > 0) await sleep(wait);
      } else {
        if (nowMs() >= end) return;
        while (committed - (credit.phase === cmd.phase ? credit.handled : 0) >= cmd.maxBacklog) {
          // A credit, or a short timeout so a stalled consumer cannot keep us past the end.
          await Promise.race([new Promise<void>((resolve) => creditWaiters.push(resolve)), sleep(50)]);
          if (nowMs() >= end) return;
        }
      }
      try {
        await outbox.unitOfWork(db.sql, async (uow) => {
          const subject = aggregateOf(c, i);
          await uow.tx.query(INSERT_STATE, [subject, i]);
          uow.publish(AccountChanged, { subject, data: { p: cmd.phase, c, i, t: nowMs(), amount: i } });
        });
        committed++;
        samples.push(c, i, nowMs());
      } catch (error) {
        failed++;
        onError('producer')(error);
      }
    }
  };
  await Promise.all(Array.from({ length: config.clients }, (_, c) => loop(c)));
  send({ type: 'produced', phase: cmd.phase, startedAt, samples, errors: failed });
}

// --- relay -------------------------------------------------------------------------------------

const published = new Map<number, number[]>();

/**
 * The relay's broker, seen through a decorator that timestamps each `publish(batch)` call (still
 * one call per batch, passed straight through): splits latency into relay pickup and delivery.
 */
function timedBroker(broker: Broker): Pick<Broker, 'publish' | 'ping'> {
  return {
    ping: () => broker.ping(),
    async publish(messages) {
      const start = nowMs();
      const results = await broker.publish(messages);
      const end = nowMs();
      for (const m of messages) {
        const d = m.event.data as { p: number; c: number; i: number };
        const list = published.get(d.p) ?? [];
        list.push(d.c, d.i, start, end);
        published.set(d.p, list);
      }
      return results;
    },
  };
}

async function startRelay(config: WorkerConfig): Promise<RoleRuntime> {
  const db = countingClient(config.producerUrl, RELAY_POOL, 'bench-relay');
  const { broker, bus } = await makeBroker(config, 'relay');
  const relay: OutboxRelay = createOutboxRelay({
    sql: db.sql,
    broker: timedBroker(broker),
    listen: config.producerUrl,
    onError: onError('relay'),
  });
  await relay.start();
  let base = relay.stats();
  return {
    role: 'relay',
    db,
    ...(bus ? { bus } : {}),
    broker,
    extra: () => {
      const s = relay.stats();
      return {
        published: s.publishedTotal - base.publishedTotal,
        batches: s.batchesTotal - base.batchesTotal,
        failed: s.failedTotal - base.failedTotal,
        errors: s.errorsTotal - base.errorsTotal,
        partitions: s.partitions.length,
      };
    },
    reset: () => {
      base = relay.stats();
    },
    async stop() {
      await relay.stop();
      await broker.close();
      await bus?.sql.close();
      await db.sql.close();
    },
  };
}

// --- consumer ----------------------------------------------------------------------------------

const handled = new Map<number, number[]>();

async function startConsumer(config: WorkerConfig): Promise<RoleRuntime> {
  const db = countingClient(config.consumerUrl, consumerInFlight(config), 'bench-consumer');
  const { broker, bus } = await makeBroker(config, 'consumer');
  const consumer = createConsumer({
    sql: db.sql,
    broker,
    group: config.group,
    maxInFlight: consumerInFlight(config),
    onError: onError('consumer'),
  });
  await consumer.subscribe(TOPIC, async (event, { tx }) => {
    const at = nowMs();
    const d = event.data as { p: number; c: number; i: number; amount: number };
    await tx.query('INSERT INTO side_effect (event_id, account_id, amount) VALUES ($1, $2, $3)', [
      event.id,
      event.subject,
      d.amount,
    ]);
    const list = handled.get(d.p) ?? [];
    list.push(d.c, d.i, at);
    handled.set(d.p, list);
  });
  // Progress for the parent: drain detection and the producers' credit.
  const sent = new Map<number, number>();
  const timer = setInterval(() => {
    for (const [phase, list] of handled) {
      const n = list.length / 3;
      if (sent.get(phase) !== n) {
        sent.set(phase, n);
        send({ type: 'progress', phase, handled: n });
      }
    }
  }, 20);
  let base = consumer.stats();
  return {
    role: 'consumer',
    db,
    ...(bus ? { bus } : {}),
    broker,
    extra: () => {
      const s = consumer.stats();
      return {
        handled: s.handled - base.handled,
        duplicates: s.duplicatesSkipped - base.duplicatesSkipped,
        failedAttempts: s.failedAttempts - base.failedAttempts,
        handlerMsAvg:
          s.handlerDuration.count > base.handlerDuration.count
            ? (s.handlerDuration.totalMs - base.handlerDuration.totalMs) /
              (s.handlerDuration.count - base.handlerDuration.count)
            : null,
      };
    },
    reset: () => {
      base = consumer.stats();
    },
    async stop() {
      clearInterval(timer);
      await consumer.close();
      await broker.close();
      await bus?.sql.close();
      await db.sql.close();
    },
  };
}

// --- message loop ------------------------------------------------------------------------------

let config: WorkerConfig | undefined;
let runtimes: RoleRuntime[] = [];

const report = (): RoleReport[] =>
  runtimes.map((r) => ({
    role: r.role,
    statements: r.db.counts(),
    busStatements: r.bus?.counts() ?? [],
    extra: { ...r.extra(), errors: errors[r.role] },
  }));

async function onMessage(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'init': {
      config = message.config;
      // Consumer first: on NATS its subscription creates the stream and the group's consumers.
      const order: Role[] = ['consumer', 'relay', 'producer'];
      for (const role of order.filter((r) => config!.roles.includes(r))) {
        if (role === 'consumer') runtimes.push(await startConsumer(config));
        if (role === 'relay') runtimes.push(await startRelay(config));
        if (role === 'producer') runtimes.push(await startProducer(config));
      }
      send({ type: 'ready', pid: process.pid });
      return;
    }
    case 'produce':
      return produce(config!, message);
    case 'credit': {
      credit = { phase: message.phase, handled: message.handled };
      const waiters = creditWaiters;
      creditWaiters = [];
      for (const w of waiters) w();
      return;
    }
    case 'collect': {
      send({
        type: 'collected',
        phase: message.phase,
        handled: handled.get(message.phase) ?? [],
        published: published.get(message.phase) ?? [],
      });
      handled.delete(message.phase);
      published.delete(message.phase);
      return;
    }
    case 'reset':
      for (const r of runtimes) {
        r.db.reset();
        r.bus?.reset();
        r.reset();
      }
      return;
    case 'report':
      send({ type: 'reports', reports: report() });
      return;
    case 'stop': {
      // Producers first, then the relay (finishes its batch), then the consumer.
      for (const role of ['producer', 'relay', 'consumer'] as Role[]) {
        await runtimes.find((r) => r.role === role)?.stop();
      }
      runtimes = [];
      send({ type: 'stopped' });
      process.disconnect?.();
      return;
    }
  }
}

process.on('message', (message: ToWorker) => {
  onMessage(message).catch((error: unknown) => {
    send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  });
});
