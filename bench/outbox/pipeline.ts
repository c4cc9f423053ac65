import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPgClient } from '@outrig/db';
import {
  createTestDatabase,
  deleteNatsStreams,
  deleteRabbitMqTopology,
  deleteRedisKeys,
  KafkaMock,
  type TestDatabase,
  testServers,
} from '@outrig/testing';
import { nowMs, setupConsumerDb, setupProducerDb, TOPIC } from './bench-schema.ts';
import { cpuSampler, pidsNamed } from './cpu-sampler.ts';
import { type PhaseResult, summarize } from './phase-summary.ts';
import type { Role, Transport, WorkerConfig } from './pipeline-protocol.ts';
import { Worker } from './worker-handle.ts';

/** `split`: producers, relay and consumer in three processes; `single`: all in one. */
export type Layout = 'split' | 'single';

export interface PipelineOptions {
  transport: Transport;
  layout: Layout;
  clients: number;
  /** Offered load of the latency phase, events/s. */
  rate: number;
  warmupSeconds: number;
  seconds: number;
  /** Bounded phase: producers stay at most this many events ahead of the consumer. */
  maxBacklog: number;
  /** NATS and Kafka transports: partitions per topic (default 16, the NATS transport's default). */
  natsPartitions?: number;
}

export interface PipelineResult {
  transport: Transport;
  layout: Layout;
  latency: PhaseResult;
  sustained: PhaseResult;
  /** Side-effect rows in the consumer database vs unique events handled (exactly-once check). */
  sideEffects: number;
  uniqueHandled: number;
}

/**
 * (c) One end-to-end run on fresh databases (and fresh JetStream streams): producers commit
 * state + event in units of work, one relay publishes, one consumer with the inbox handles each
 * event in its own database. Phase 1 offers `rate` events/s and measures commit → handler
 * latency; phase 2 runs the producers flat out (bounded backlog) and measures sustained events/s.
 */
export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const suffix = randomBytes(4).toString('hex');
  const dbs: TestDatabase[] = [];
  const workers: Worker[] = [];
  const streamPrefix = `BENCHOUTBOX${suffix}`;
  let kafka: KafkaMock | undefined;
  try {
    // Kafka: a fresh mock cluster per run, the topic pre-created with 16 partitions (as NATS).
    if (o.transport === 'kafka') {
      kafka = await KafkaMock.start({ topics: [`${streamPrefix}.${TOPIC}:${o.natsPartitions ?? 16}`] });
    }
    const producerDb = await createTestDatabase('bench_outbox_producer');
    dbs.push(producerDb);
    const consumerDb = await createTestDatabase('bench_outbox_consumer');
    dbs.push(consumerDb);
    const busDb = o.transport === 'postgres' ? await createTestDatabase('bench_outbox_bus') : undefined;
    if (busDb) dbs.push(busDb);
    await setupProducerDb(producerDb.sql);
    await setupConsumerDb(consumerDb.sql);

    const base: Omit<WorkerConfig, 'roles'> = {
      transport: o.transport,
      producerUrl: producerDb.url,
      consumerUrl: consumerDb.url,
      busUrl: busDb?.url ?? '',
      natsUrl: testServers.nats,
      kafkaUrl: kafka?.url ?? '',
      amqpUrl: testServers.rabbitmq,
      redisUrl: testServers.redis,
      streamPrefix,
      clients: o.clients,
      group: `bench-${suffix}`,
      natsPartitions: o.natsPartitions ?? 16,
    };
    const layout: Role[][] =
      o.layout === 'split' ? [['consumer'], ['relay'], ['producer']] : [['consumer', 'relay', 'producer']];
    for (const roles of layout) workers.push(new Worker(roles));
    // Sequential start: the consumer's subscription exists before anything is published.
    for (const w of workers) {
      const ready = w.next('ready', 60_000);
      w.send({ type: 'init', config: { ...base, roles: w.roles } });
      await ready;
    }
    const byRole = (role: Role) => workers.find((w) => w.roles.includes(role))!;
    const producer = byRole('producer');
    const consumer = byRole('consumer');
    const handledSoFar = new Map<number, number>();
    consumer.on((m) => {
      if (m.type !== 'progress') return;
      handledSoFar.set(m.phase, m.handled);
      producer.send({ type: 'credit', phase: m.phase, handled: m.handled });
    });

    const dbNames = dbs.map((d) => d.name);
    const backendPids = await pidsOfDatabases(dbNames);
    const groups: Record<string, () => readonly number[]> = Object.fromEntries(
      workers.map((w) => [w.roles.join('+'), () => [w.child.pid!]]),
    );
    groups.postgres = () => backendPids;
    if (o.transport === 'nats') groups['nats-server'] = () => pidsNamed('nats-server');
    if (kafka?.pid) {
      const pid = kafka.pid;
      groups['kafka-mock'] = () => [pid];
    }
    if (o.transport === 'rabbitmq') groups.rabbitmq = () => pidsNamed('beam.smp');
    if (o.transport === 'redis') groups['redis-server'] = () => pidsNamed('redis-server');

    const phase = async (n: number, mode: 'paced' | 'bounded') => {
      const sampler = cpuSampler(groups);
      const seconds = o.warmupSeconds + o.seconds;
      const produced = producer.next('produced', (seconds + 60) * 1000);
      producer.send({ type: 'produce', phase: n, mode, rate: o.rate, maxBacklog: o.maxBacklog, seconds });
      await sleep(o.warmupSeconds * 1000);
      const w0 = nowMs();
      for (const w of workers) w.send({ type: 'reset' });
      sampler.start();
      await sleep(o.seconds * 1000);
      const w1 = nowMs();
      const cpu = sampler.stop();
      const load = loadavg()[0] ?? 0;
      const reports = (
        await Promise.all(
          workers.map((w) => {
            const r = w.next('reports');
            w.send({ type: 'report' });
            return r;
          }),
        )
      ).flatMap((r) => r.reports);
      const p = await produced;
      const committed = p.samples.length / 3;
      // Drain: wait for every committed event to reach the handler (bounded wait).
      const drainUntil = Date.now() + Math.max(15_000, o.seconds * 3000);
      while ((handledSoFar.get(n) ?? 0) < committed && Date.now() < drainUntil) await sleep(20);
      const collected = await Promise.all(
        workers.map((w) => {
          const c = w.next('collected');
          w.send({ type: 'collect', phase: n });
          return c;
        }),
      );
      const h = collected.flatMap((c) => c.handled);
      const pub = collected.flatMap((c) => c.published);
      return summarize(p.samples, h, pub, w0, w1, {
        producerErrors: p.errors,
        cpu: cpu.groups,
        machineBusyPercent: cpu.machineBusyPercent,
        load,
        reports,
      });
    };

    const latency = await phase(1, 'paced');
    const sustained = await phase(2, 'bounded');
    const uniqueHandled = latency.uniqueHandled + sustained.uniqueHandled;
    const sideEffects = Number(
      (await consumerDb.sql.query<{ n: string }>('SELECT count(*) AS n FROM side_effect')).rows[0]!.n,
    );
    await stopAll(workers);
    return {
      transport: o.transport,
      layout: o.layout,
      latency: latency.result,
      sustained: sustained.result,
      sideEffects,
      uniqueHandled,
    };
  } finally {
    await stopAll(workers).catch(() => {});
    for (const d of dbs) await d.drop().catch((e) => console.error(`# could not drop ${d.name}:`, e));
    if (o.transport === 'nats')
      await deleteNatsStreams(testServers.nats, streamPrefix).catch((e) => console.error(e));
    await kafka?.stop();
    if (o.transport === 'rabbitmq') {
      await deleteRabbitMqTopology(testServers.rabbitmq, {
        prefix: streamPrefix,
        topics: [TOPIC],
        groups: [`bench-${suffix}`],
      }).catch((e) => console.error(e));
    }
    if (o.transport === 'redis')
      await deleteRedisKeys(testServers.redis, streamPrefix).catch((e) => console.error(e));
  }
}

async function stopAll(workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null || !w.child.connected) return;
      const stopped = w.next('stopped', 60_000);
      w.send({ type: 'stop' });
      await stopped.catch((e) => console.error(`# ${String(e)}`));
      if (w.child.exitCode === null) {
        const exited = new Promise((r) => w.child.once('exit', r));
        const kill = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(kill);
      }
    }),
  );
  workers.length = 0;
}

/** Backend pids connected to our databases (their CPU is the database's share of the work). */
async function pidsOfDatabases(names: string[]): Promise<number[]> {
  const admin = createPgClient({ url: testServers.postgres, max: 1 });
  try {
    const { rows } = await admin.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])',
      [names],
    );
    return rows.map((r) => r.pid);
  } finally {
    await admin.close();
  }
}
