/**
 * Broker restart: the private nats-server is SIGKILLed mid-stream (at 1/3 and at 2/3 of the
 * events handled) and restarted on the same store directory after a pause, while writers keep
 * committing and relays keep publishing. Publishes in the outage fail and are retried; acks in
 * the outage are lost and the messages redelivered. Nothing may be lost, duplicated or reordered.
 *
 * On Kafka the broker is librdkafka's mock cluster, which holds its log in memory: killing its
 * process would lose every message, which a real Kafka (log on disk, replicas) does not. So
 * `broker-outage[kafka]` takes every mock broker down instead (open connections closed, new
 * ones refused, the log kept) and brings them back after the same pause: clients see what a
 * restart looks like from the outside — dropped connections, failed produces and commits,
 * reconnects, group rejoins — but the broker's own recovery from disk is not exercised.
 */

import { Fixture, scenarioOptions } from '../lib/fixture.ts';
import { aggregateIds, produce } from '../lib/produce.ts';
import { resultOf, type Scenario, type ScenarioResult } from '../lib/scenario.ts';
import { fencingAudit, handledCount, tally } from '../lib/tally.ts';
import { pollUntil, sleep } from '../lib/wait.ts';

const EVENTS = 3_000;
const OUTAGE_MS = 1_500;

export function brokerRestart(transport: 'nats' | 'kafka' = 'nats'): Scenario {
  const name = transport === 'nats' ? 'broker-restart[nats]' : 'broker-outage[kafka]';
  return {
    name,
    budgetMs: 90_000,
    needsNats: transport === 'nats',
    needsKafka: transport === 'kafka',
    async run({ nats, kafka, deadline }): Promise<ScenarioResult> {
      if (transport === 'nats' && !nats) throw new Error('needs the private nats-server');
      if (transport === 'kafka' && !kafka) throw new Error('needs the kafka-mock');
      const fx = await Fixture.create(`restart_${transport}`, {
        ...scenarioOptions(transport, nats, {
          group: `rel-restart-${transport}`,
          nats: { requestTimeoutMs: 2_000 },
          kafka: { requestTimeoutMs: 2_000 },
          relay: { maxAttempts: 50, backoff: { baseMs: 200, maxMs: 1_000 } },
          consumer: { maxAttempts: 25 },
        }),
        kafka,
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
          if (transport === 'nats' && nats) {
            await nats.kill();
            await sleep(OUTAGE_MS);
            await nats.resume();
          } else await kafka?.outage(OUTAGE_MS);
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
            [transport === 'nats' ? 'broker_kills' : 'broker_outages']: restarts,
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
