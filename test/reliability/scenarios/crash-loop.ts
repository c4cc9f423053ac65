/**
 * Crash loop: one event whose handler kills the consumer process (`process.exit(1)`, like an
 * out-of-memory kill), among steady normal traffic, with two supervised consumer processes
 * (restarted when they die). Each crash is one more broker delivery of that event; after
 * `maxAttempts` of them the consumer must dead-letter it (`redelivery_limit`) instead of running
 * it again — and nothing else: the other events that happened to be in flight on the process
 * when it died did not crash anything and must be handled, in order, not dead-lettered.
 */
import { checkDeadLetters, watchDeadLetters } from '../lib/dead-letters.ts';
import { Changed } from '../lib/events.ts';
import { Fixture, scenarioOptions, type Transport } from '../lib/fixture.ts';
import { aggregateIds, produce } from '../lib/produce.ts';
import { resultOf, type Scenario, type ScenarioResult } from '../lib/scenario.ts';
import { handledCount, tally } from '../lib/tally.ts';
import { pollUntil, sleep } from '../lib/wait.ts';

const CRASHING = 'crash-0';
const MAX_ATTEMPTS = 3;

export function crashLoop(transport: Transport): Scenario {
  const name = `crash-loop[${transport}]`;
  return {
    name,
    budgetMs: 60_000,
    needsNats: transport === 'nats',
    async run({ nats, deadline }): Promise<ScenarioResult> {
      const fx = await Fixture.create(
        `crash_${transport}`,
        scenarioOptions(transport, nats, {
          group: 'rel-crash',
          nats: { ackWaitMs: 1_500 },
          postgres: { leaseMs: 1_500 },
          consumer: {
            maxAttempts: MAX_ATTEMPTS,
            backoff: { baseMs: 20, maxMs: 100 },
            heartbeatMs: 300,
            crashAggregates: [CRASHING],
          },
        }),
      );
      const problems: string[] = [];
      const dlq = await watchDeadLetters(fx).catch(async (error: unknown) => {
        await fx.dispose();
        throw error;
      });
      try {
        await Promise.all([fx.startRelay(), fx.startSupervised('consumer'), fx.startSupervised('consumer')]);
        const normal = aggregateIds('steady', 60);
        const before = await produce(fx.writer, fx.outbox, {
          events: 200,
          aggregates: normal,
          concurrency: 4,
        });
        const [crashing] = await fx.writer.transaction((tx) =>
          fx.outbox.write(tx, fx.outbox.event(Changed, { subject: CRASHING, data: { n: 0 } })),
        );
        // Keep traffic flowing through the crash loop, so other events are in flight at each crash.
        const after = await produce(fx.writer, fx.outbox, {
          events: 400,
          aggregates: normal,
          concurrency: 4,
          ratePerSec: 50,
        });
        const dead = new Map([[crashing!.id, 'redelivery_limit']]);
        const expected = before.committed + after.committed;
        await pollUntil(async () => {
          const wronglyDead = [...dlq.seen.keys()].filter((id) => !dead.has(id)).length;
          const handled = await handledCount(fx.consumer.sql);
          return handled + wronglyDead >= expected && dlq.seen.has(crashing!.id);
        }, deadline);
        await sleep(500);
        await fx.stopWorkers();
        problems.push(...checkDeadLetters(dlq, dead));
        if (fx.crashes.length > MAX_ATTEMPTS) {
          problems.push(
            `${fx.crashes.length} crashes for maxAttempts ${MAX_ATTEMPTS}: attempts were not counted`,
          );
        }

        const t = await tally(fx.producer.sql, fx.consumer.sql, (r) => r.aggregateId !== CRASHING);
        return resultOf(
          name,
          t,
          {
            transport,
            consumer_crashes: fx.crashes.length,
            max_attempts: MAX_ATTEMPTS,
            dead_lettered: dlq.seen.size,
          },
          problems,
          fx.logs,
        );
      } finally {
        await dlq.close().catch(() => {});
        await fx.dispose();
      }
    },
  };
}
