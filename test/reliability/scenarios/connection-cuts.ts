/**
 * Connection cuts: while writers commit and relays/consumers work, every database session of
 * the workers (producer, consumer and — postgres transport — bus databases) is terminated with `pg_terminate_backend`
 * every ~1.5 s — what a failover, a restart or a proxy dropping connections does. Workers must
 * survive (reconnect) rather than crash; a worker that exits anyway is counted (and fails the
 * scenario) and restarted so the data checks still run. Nothing may be lost, duplicated or reordered.
 */
import { createPgClient } from '@outrig/db';
import { testServers } from '@outrig/testing';
import { Fixture, scenarioOptions, type Transport } from '../lib/fixture.ts';
import { aggregateIds, produce } from '../lib/produce.ts';
import { resultOf, type Scenario, type ScenarioResult } from '../lib/scenario.ts';
import { fencingAudit, handledCount, tally } from '../lib/tally.ts';
import { pollUntil, randomBetween, sleep } from '../lib/wait.ts';

const EVENTS = 3_000;

export function connectionCuts(transport: Transport): Scenario {
  const name = `connection-cuts[${transport}]`;
  return {
    name,
    budgetMs: 75_000,
    needsNats: transport === 'nats',
    async run({ nats, deadline }): Promise<ScenarioResult> {
      const fx = await Fixture.create(
        `cuts_${transport}`,
        scenarioOptions(transport, nats, {
          group: 'rel-cuts',
          relay: { maxAttempts: 50 },
          consumer: { maxAttempts: 50 },
        }),
      );
      const admin = createPgClient({ url: testServers.postgres, max: 1, applicationName: 'rel-admin' });
      const problems: string[] = [];
      let cuts = 0;
      let terminated = 0;
      try {
        for (const kind of ['relay', 'relay', 'consumer', 'consumer'] as const)
          await fx.startSupervised(kind);
        let produced = false;
        const production = produce(fx.writer, fx.outbox, {
          events: EVENTS,
          aggregates: aggregateIds('cuts', 100),
          concurrency: 4,
          ratePerSec: 300,
        }).finally(() => {
          produced = true;
        });
        const databases = [fx.producer.name, fx.consumer.name, ...(fx.bus ? [fx.bus.name] : [])];
        while (!produced && !deadline.passed) {
          await sleep(randomBetween(1_000, 2_000));
          // The workers' sessions only: the test's own writers and checks are left alone.
          const { rowCount } = await admin.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid()
                AND application_name NOT IN ('rel-writer', 'rel-admin', '')`,
            [databases],
          );
          terminated += rowCount;
          cuts++;
        }
        const { committed, failed } = await production;
        if (failed > 0) problems.push(`${failed} units of work failed`);
        await pollUntil(async () => (await handledCount(fx.consumer.sql)) >= committed, deadline, 250);
        await sleep(1_000);
        await fx.stopWorkers();
        if (fx.crashes.length > 0)
          problems.push(`workers crashed on a connection cut: ${fx.crashes.join(', ')}`);

        const t = await tally(fx.producer.sql, fx.consumer.sql);
        const audit = await fencingAudit(fx.producer.sql);
        if (audit.foreignWrites > 0 || audit.sharedEpochs > 0) {
          problems.push(
            `relay audit: ${audit.foreignWrites} writes without the lease, ${audit.sharedEpochs} shared epochs`,
          );
        }
        return resultOf(
          name,
          t,
          { transport, cuts, sessions_terminated: terminated, worker_crashes: fx.crashes.length },
          problems,
          fx.logs,
        );
      } finally {
        await admin.close().catch(() => {});
        await fx.dispose();
      }
    },
  };
}
