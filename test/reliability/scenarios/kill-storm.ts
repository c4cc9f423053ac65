/**
 * Kill storm: 3 relay and 3 consumer processes while 8 writers commit ≥ 20 000 events over
 * ≥ 200 aggregates; a random relay or consumer is SIGKILLed at least 20 times (and restarted
 * after a short pause), during and after production. Leases and ack waits are short so a killed
 * member's work moves quickly. Then: every event handled once, in version order per aggregate.
 */

import { Fixture, type Transport } from '../lib/fixture.ts';
import { aggregateIds, produce } from '../lib/produce.ts';
import { resultOf, type Scenario, type ScenarioResult } from '../lib/scenario.ts';
import { fencingAudit, handledCount, tally } from '../lib/tally.ts';
import { pollUntil, randomBetween, sleep } from '../lib/wait.ts';
import type { WorkerProcess } from '../lib/worker-process.ts';

export interface KillStormOptions {
  readonly events: number;
  readonly aggregates: number;
  readonly writers: number;
  readonly minKills: number;
}

export const KILL_STORM_DEFAULTS: KillStormOptions = {
  events: 20_000,
  aggregates: 250,
  writers: 8,
  minKills: 20,
};

/**
 * Kafka's storm, smaller: every consumer kill and restart is a group rebalance, and on the
 * mock cluster each membership change takes about `sessionTimeoutMs` (3 s here) — 20 kills
 * over 20 000 events would not fit the suite's budget on two cores.
 */
export const KAFKA_KILL_STORM_DEFAULTS: KillStormOptions = {
  events: 5_000,
  aggregates: 150,
  writers: 6,
  minKills: 10,
};

interface Slot {
  readonly kind: 'relay' | 'consumer';
  worker: WorkerProcess | undefined;
  restarting: boolean;
}

/**
 * The storm the RabbitMQ and Redis transports go through in the default run: the same kills at
 * a smaller size, so the suite stays within its time budget with every transport in it.
 */
export const KILL_STORM_SMALL: KillStormOptions = {
  events: 3_000,
  aggregates: 100,
  writers: 4,
  minKills: 10,
};

/** Adapter options of each transport in the storm: short ack waits, leases and sessions. */
const STORM_BROKER_OPTIONS: Record<Transport, Record<string, unknown>> = {
  nats: { partitions: 16, ackWaitMs: 2_000, requestTimeoutMs: 3_000 },
  postgres: { partitions: 16, leaseMs: 1_500, pollIntervalMs: 200 },
  // A killed member's partitions move after the session timeout (no leave request).
  kafka: { sessionTimeoutMs: 3_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 5_000 },
  rabbitmq: { partitions: 16, heartbeatMs: 300, requestTimeoutMs: 3_000 },
  redis: {
    partitions: 16,
    heartbeatMs: 200,
    sessionTimeoutMs: 1_500,
    blockMs: 1_000,
    requestTimeoutMs: 3_000,
  },
};

export function killStorm(transport: Transport, options: KillStormOptions = KILL_STORM_DEFAULTS): Scenario {
  const name = `kill-storm[${transport}]`;
  const ackWaitMs = 2_000;
  return {
    name,
    budgetMs: 150_000,
    needsNats: transport === 'nats',
    needsKafka: transport === 'kafka',
    ...(transport === 'rabbitmq' || transport === 'redis' ? { needs: transport } : {}),
    async run({ nats, kafka, rabbitmq, redis, deadline }): Promise<ScenarioResult> {
      const fx = await Fixture.create(`storm_${transport}`, {
        transport,
        nats,
        kafka,
        ...(transport === 'rabbitmq' && rabbitmq ? { server: rabbitmq } : {}),
        ...(transport === 'redis' && redis ? { server: redis } : {}),
        writerPool: options.writers,
        brokerOptions: STORM_BROKER_OPTIONS[transport],
        relay: {
          leaseMs: 1_000,
          pollIntervalMs: 200,
          maxAttempts: 10,
          backoff: { baseMs: 200, maxMs: 2_000 },
          statsIntervalMs: 500,
        },
        consumer: {
          group: 'rel-storm',
          // Each kill of a member holding a message is one more broker delivery of it.
          maxAttempts: 25,
          backoff: { baseMs: 50, maxMs: 500 },
          heartbeatMs: 300,
          maxInFlight: 32,
          poolSize: 5,
          failAggregates: [],
          validate: false,
        },
      });
      const problems: string[] = [];
      const kills = { relay: 0, consumer: 0 };
      let relayFenced = 0;
      try {
        const slots: Slot[] = [];
        const start = (kind: Slot['kind']) => (kind === 'relay' ? fx.startRelay() : fx.startConsumer());
        await Promise.all(
          (['relay', 'relay', 'relay', 'consumer', 'consumer', 'consumer'] as const).map(async (kind) => {
            slots.push({ kind, worker: await start(kind), restarting: false });
          }),
        );

        let produced = false;
        const t0 = Date.now();
        let producedAt = 0;
        const production = produce(fx.writer, fx.outbox, {
          events: options.events,
          aggregates: aggregateIds('storm', options.aggregates),
          concurrency: options.writers,
        }).finally(() => {
          produced = true;
          producedAt = Date.now();
        });

        const restarts: Promise<void>[] = [];
        const total = () => kills.relay + kills.consumer;
        while (!deadline.passed && (total() < options.minKills || !produced)) {
          await sleep(produced ? randomBetween(400, 800) : randomBetween(1_200, 2_400));
          const candidates = slots.filter((s) => !s.restarting && s.worker?.alive);
          const slot = candidates[Math.floor(Math.random() * candidates.length)];
          if (!slot) continue;
          slot.restarting = true;
          relayFenced += slot.worker?.lastStats?.fencedTotal ?? 0;
          await slot.worker!.kill();
          kills[slot.kind]++;
          restarts.push(
            (async () => {
              await sleep(randomBetween(100, 500));
              try {
                slot.worker = await start(slot.kind);
              } catch (error) {
                problems.push(`restart of a ${slot.kind} failed: ${(error as Error).message}`);
              }
              slot.restarting = false;
            })(),
          );
        }
        await Promise.all(restarts);
        const { committed, failed } = await production;
        if (failed > 0) problems.push(`${failed} units of work failed`);
        if (total() < options.minKills) problems.push(`only ${total()} kills before the deadline`);

        await pollUntil(async () => (await handledCount(fx.consumer.sql)) >= committed, deadline, 500);
        const drainedAt = Date.now();
        // Redeliveries of messages whose ack was lost arrive up to one ack wait later: let them.
        await sleep(ackWaitMs + 500);
        await fx.stopWorkers();
        for (const slot of slots) relayFenced += slot.worker?.lastStats?.fencedTotal ?? 0;

        const t = await tally(fx.producer.sql, fx.consumer.sql);
        if (t.written !== committed)
          problems.push(`outbox has ${t.written} rows, writers committed ${committed}`);
        const audit = await fencingAudit(fx.producer.sql);
        if (audit.foreignWrites > 0 || audit.sharedEpochs > 0) {
          problems.push(
            `relay audit: ${audit.foreignWrites} writes without the lease, ${audit.sharedEpochs} shared epochs`,
          );
        }
        const { rows } = await fx.producer.sql.query<{ parked: string; pending: string }>(
          `SELECT count(*) FILTER (WHERE state = 'parked')::text AS parked,
                  count(*) FILTER (WHERE state = 'pending')::text AS pending FROM outbox`,
        );
        return resultOf(
          name,
          t,
          {
            transport,
            aggregates: options.aggregates,
            kills: total(),
            relay_kills: kills.relay,
            consumer_kills: kills.consumer,
            parked: rows[0]!.parked,
            pending: rows[0]!.pending,
            fenced_marks: relayFenced,
            fencing_violations: audit.foreignWrites + audit.sharedEpochs,
            produce_s: ((producedAt - t0) / 1000).toFixed(1),
            drain_s: ((drainedAt - producedAt) / 1000).toFixed(1),
          },
          problems,
          fx.logs,
        );
      } finally {
        await fx.dispose();
      }
    },
  };
}
