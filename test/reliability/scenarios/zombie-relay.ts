/**
 * Zombie relay: relay A holds half the partitions under load and is frozen (SIGSTOP) right after
 * it claimed a batch — while the publish is in flight, before the mark. Its leases expire, relay
 * B takes them over (new epochs). The claimed rows are still pending (their retry backoff keeps B
 * from re-publishing them yet), so when A is thawed (SIGCONT) and finishes its publish, only the
 * epoch fence stands between its stale mark and the rows. A must be refused (fencedTotal > 0),
 * the audit must show no write by a relay that did not hold the lease and no (partition, epoch)
 * written by two relays, and every event must still be handled once, in order.
 */

import { Fixture, scenarioOptions, type Transport } from '../lib/fixture.ts';
import { aggregateIds, produce } from '../lib/produce.ts';
import { resultOf, type Scenario, type ScenarioResult } from '../lib/scenario.ts';
import { fencingAudit, handledCount, tally } from '../lib/tally.ts';
import { Deadline, pollUntil, sleep } from '../lib/wait.ts';

const EVENTS = 3_000;
const LEASE_MS = 1_000;
/** The claim pushes a row's next attempt 3–6 s out: B cannot re-publish A's batch before A wakes. */
const BACKOFF = { baseMs: 6_000, maxMs: 6_000 };

export function zombieRelay(transport: Transport): Scenario {
  const name = `zombie-relay[${transport}]`;
  return {
    name,
    budgetMs: 75_000,
    needsNats: transport === 'nats',
    async run({ nats, deadline }): Promise<ScenarioResult> {
      const fx = await Fixture.create(
        `zombie_${transport}`,
        scenarioOptions(transport, nats, {
          group: 'rel-zombie',
          nats: { ackWaitMs: 3_000 },
          relay: { leaseMs: LEASE_MS, backoff: BACKOFF, statsIntervalMs: 200 },
        }),
      );
      const problems: string[] = [];
      let fenced = 0;
      let pendingAtThaw = 0;
      try {
        const [zombie, other] = await Promise.all([
          fx.startRelay({ publishDelayMs: 300 }),
          fx.startRelay(),
          fx.startConsumer(),
          fx.startConsumer(),
        ]);
        await zombie.waitFor((m) => m.t === 'stats' && m.stats.partitions.length > 0, 10_000, 'leases');
        const zombieId = zombie.lastStats!.id;
        const production = produce(fx.writer, fx.outbox, {
          events: EVENTS,
          aggregates: aggregateIds('zombie', 100),
          concurrency: 4,
          ratePerSec: 400,
        });

        // Freeze A the moment it announces a publish: it has claimed rows and not marked them.
        const announced = await zombie.waitFor(
          (m) => m.t === 'publish-start' && m.count >= 10,
          15_000,
          'a publish',
        );
        zombie.freeze();
        const held = announced.t === 'publish-start' ? announced.partitions : [];

        // B takes over every partition A held (its leases lapse after LEASE_MS).
        const takeover = await pollUntil(
          async () => {
            const { rows } = await fx.producer.sql.query<{ n: string }>(
              `SELECT count(*)::text AS n FROM outbox_lease WHERE partition = ANY($1::int[]) AND owner = $2`,
              [held, other.lastStats?.id ?? ''],
            );
            return Number(rows[0]!.n) === held.length;
          },
          new Deadline(Math.min(15_000, deadline.left)),
          50,
        );
        if (!takeover) problems.push('the frozen relay’s partitions were not taken over');
        // A's claimed-but-unmarked rows: still pending, so a stale mark would land on live rows.
        const { rows: pend } = await fx.producer.sql.query<{ n: string }>(
          `SELECT count(DISTINCT a.event_id)::text AS n FROM relay_audit a JOIN outbox o ON o.id = a.event_id
            WHERE a.writer = $1 AND a.kind = 'attempt' AND o.state = 'pending'`,
          [zombieId],
        );
        pendingAtThaw = Number(pend[0]!.n);
        zombie.thaw();
        // A finishes its publish, tries to mark, is refused.
        await zombie
          .waitFor((m) => m.t === 'stats' && m.stats.fencedTotal > 0, 10_000, 'a fenced mark')
          .catch((error: Error) => problems.push(error.message));

        const { committed, failed } = await production;
        if (failed > 0) problems.push(`${failed} units of work failed`);
        await pollUntil(async () => (await handledCount(fx.consumer.sql)) >= committed, deadline, 250);
        await sleep(500);
        await fx.stopWorkers();
        fenced = zombie.lastStats?.fencedTotal ?? 0;
        if (fenced === 0) problems.push('the thawed relay reported no fenced mark');
        if (pendingAtThaw === 0) problems.push('no claimed row was still pending when the relay was thawed');

        const t = await tally(fx.producer.sql, fx.consumer.sql);
        const audit = await fencingAudit(fx.producer.sql);
        if (audit.foreignWrites > 0 || audit.sharedEpochs > 0) {
          problems.push(
            `relay audit: ${audit.foreignWrites} writes without the lease, ${audit.sharedEpochs} (partition, epoch) written by two relays`,
          );
        }
        return resultOf(
          name,
          t,
          {
            transport,
            fenced,
            pending_at_thaw: pendingAtThaw,
            audited_writes: audit.writes,
            foreign_writes: audit.foreignWrites,
            shared_epochs: audit.sharedEpochs,
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
