/**
 * Broker restart: the transport's private server (nats-server, redis-server with its
 * append-only file, or a RabbitMQ node) goes down mid-stream (at 1/3 and at 2/3 of the events
 * handled) and comes back on the same data after a pause, while writers keep committing and
 * relays keep publishing. Publishes in the outage fail and are retried; acks in the outage are
 * lost and the messages redelivered. Nothing may be lost, duplicated or reordered.
 *
 * nats-server and redis-server are SIGKILLed. The RabbitMQ node is stopped cleanly (SIGTERM):
 * on RabbitMQ 3.10 a SIGKILL can lose quorum queues declared in the minutes before it (see
 * packages/messaging-rabbitmq/README.md), which no client can make up for.
 *
 * On Kafka the broker is librdkafka's mock cluster, which holds its log in memory: killing its
 * process would lose every message, which a real Kafka (log on disk, replicas) does not. So
 * `broker-outage[kafka]` takes every mock broker down instead (open connections closed, new
 * ones refused, the log kept) and brings them back after the same pause: clients see what a
 * restart looks like from the outside — dropped connections, failed produces and commits,
 * reconnects, group rejoins — but the broker's own recovery from disk is not exercised.
 */

import { Fixture, scenarioOptions, type Transport } from '../lib/fixture.ts';
import { aggregateIds, produce } from '../lib/produce.ts';
import { resultOf, type Scenario, type ScenarioResult } from '../lib/scenario.ts';
import { fencingAudit, handledCount, tally } from '../lib/tally.ts';
import { pollUntil, sleep } from '../lib/wait.ts';

const EVENTS = 3_000;
const OUTAGE_MS = 1_500;

/** A server the scenario can take down and bring back. */
interface RestartableServer {
  readonly url: string;
  down(): Promise<void>;
  resume(): Promise<void>;
}

export function brokerRestart(transport: Exclude<Transport, 'postgres'> = 'nats'): Scenario {
  const name = transport === 'kafka' ? 'broker-outage[kafka]' : `broker-restart[${transport}]`;
  return {
    name,
    budgetMs: transport === 'rabbitmq' ? 150_000 : 90_000,
    needsNats: transport === 'nats',
    needsKafka: transport === 'kafka',
    ...(transport === 'rabbitmq' || transport === 'redis' ? { needs: transport } : {}),
    async run({ nats, kafka, rabbitmq, redis, deadline }): Promise<ScenarioResult> {
      const server: RestartableServer | undefined =
        transport === 'nats'
          ? nats && { url: nats.url, down: () => nats.kill(), resume: () => nats.resume() }
          : transport === 'kafka'
            ? kafka && { url: kafka.url, down: () => kafka.down(), resume: () => kafka.up() }
            : transport === 'redis'
              ? redis && { url: redis.url, down: () => redis.kill(), resume: () => redis.resume() }
              : rabbitmq && {
                  url: rabbitmq.url,
                  down: () => rabbitmq.stop(),
                  resume: () => rabbitmq.resume(),
                };
      if (!server) throw new Error(`needs the private ${transport} server`);
      const options = scenarioOptions(transport, nats, {
        group: `rel-restart-${transport}`,
        nats: { requestTimeoutMs: 2_000 },
        kafka: { requestTimeoutMs: 2_000 },
        relay: { maxAttempts: 50, backoff: { baseMs: 200, maxMs: 1_000 } },
        consumer: { maxAttempts: 25 },
      });
      const fx = await Fixture.create(`restart_${transport}`, {
        ...options,
        ...(transport === 'kafka' ? { kafka } : {}),
        ...(transport === 'rabbitmq' || transport === 'redis' ? { server } : {}),
        brokerOptions:
          transport === 'rabbitmq'
            ? { partitions: 8, heartbeatMs: 300, requestTimeoutMs: 2_000 }
            : transport === 'redis'
              ? {
                  partitions: 8,
                  heartbeatMs: 200,
                  sessionTimeoutMs: 1_500,
                  blockMs: 1_000,
                  requestTimeoutMs: 2_000,
                }
              : options.brokerOptions,
      });
      const problems: string[] = [];
      let restarts = 0;
      try {
        await Promise.all([fx.startRelay(), fx.startRelay(), fx.startConsumer(), fx.startConsumer()]);
        const production = produce(fx.writer, fx.outbox, {
          events: EVENTS,
          aggregates: aggregateIds('restart', 100),
          concurrency: 4,
          ratePerSec: 250,
        });
        for (const fraction of [1 / 3, 2 / 3]) {
          const reached = await pollUntil(
            async () => (await handledCount(fx.consumer.sql)) >= EVENTS * fraction,
            deadline,
            100,
          );
          if (!reached) break;
          await server.down();
          await sleep(OUTAGE_MS);
          await server.resume();
          restarts++;
        }
        const { committed, failed } = await production;
        if (failed > 0) problems.push(`${failed} units of work failed`);
        if (restarts < 2) problems.push(`only ${restarts} broker restarts before the deadline`);
        await pollUntil(async () => (await handledCount(fx.consumer.sql)) >= committed, deadline, 250);
        await sleep(2_500);
        await fx.stopWorkers();

        const t = await tally(fx.producer.sql, fx.consumer.sql);
        const audit = await fencingAudit(fx.producer.sql);
        if (audit.foreignWrites > 0 || audit.sharedEpochs > 0) {
          problems.push(
            `relay audit: ${audit.foreignWrites} writes without the lease, ${audit.sharedEpochs} shared epochs`,
          );
        }
        const { rows } = await fx.producer.sql.query<{ retried: string }>(
          `SELECT count(*) FILTER (WHERE attempts > 1)::text AS retried FROM outbox`,
        );
        return resultOf(
          name,
          t,
          {
            transport,
            [transport === 'kafka' ? 'broker_outages' : 'broker_kills']: restarts,
            outage_ms: OUTAGE_MS,
            rows_republished: rows[0]!.retried,
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
