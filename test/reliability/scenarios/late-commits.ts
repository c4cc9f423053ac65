/**
 * Late commits: in each round, N transactions write outbox events (one aggregate each) and
 * commit last-first, so higher `seq` values become visible before lower ones; plus a
 * same-aggregate xid inversion (the transaction with the older xid writes the later version).
 * One transaction that wrote an event first (lowest seq) and one idle transaction holding an xid
 * stay open across the whole run: everything else must still be delivered while they are open
 * (no cursor stalls behind them), and the long one's event after it commits (no skip).
 */
import type { SqlTransaction } from '@outrig/db';
import { Changed } from '../lib/events.ts';
import { Fixture, scenarioOptions, type Transport } from '../lib/fixture.ts';
import { resultOf, type Scenario, type ScenarioResult } from '../lib/scenario.ts';
import { fencingAudit, handledCount, tally } from '../lib/tally.ts';
import { pollUntil, sleep } from '../lib/wait.ts';

const ROUNDS = 6;
const TRANSACTIONS = 16;
const EVENTS_PER_TX = 3;
const COMMIT_GAP_MS = 25;

/** A transaction held open until `release()`; `ready` resolves once `before` ran in it. */
function heldTransaction(
  fx: Fixture,
  before: (tx: SqlTransaction) => Promise<unknown>,
  after?: (tx: SqlTransaction) => Promise<unknown>,
) {
  let release!: () => void;
  let started!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const ready = new Promise<void>((resolve) => {
    started = resolve;
  });
  const done = fx.writer.transaction(async (tx) => {
    await before(tx);
    started();
    await gate;
    await after?.(tx);
  });
  // If `before` fails, `ready` would never resolve: surface the error through it.
  const readyOrError = Promise.race([ready, done.then(() => {})]);
  return { ready: readyOrError, release, done };
}

export function lateCommits(transport: Transport): Scenario {
  const name = `late-commits[${transport}]`;
  return {
    name,
    budgetMs: 60_000,
    needsNats: transport === 'nats',
    async run({ nats, deadline }): Promise<ScenarioResult> {
      const fx = await Fixture.create(
        `late_${transport}`,
        scenarioOptions(transport, nats, {
          group: 'rel-late',
          writerPool: TRANSACTIONS + 6,
          nats: { ackWaitMs: 3_000 },
          relay: { statsIntervalMs: 1_000 },
        }),
      );
      const problems: string[] = [];
      try {
        await Promise.all([fx.startRelay(), fx.startRelay(), fx.startConsumer(), fx.startConsumer()]);
        const event = (subject: string, n: number) => fx.outbox.event(Changed, { subject, data: { n } });

        const long = heldTransaction(fx, (tx) => fx.outbox.write(tx, event('long-0', 0)));
        const idle = heldTransaction(fx, (tx) => tx.query('SELECT pg_current_xact_id()'));
        await Promise.all([long.ready, idle.ready]);

        for (let round = 0; round < ROUNDS; round++) {
          // xid inversion on one aggregate: X takes its xid first, Y writes and commits, then X writes.
          const x = heldTransaction(
            fx,
            (tx) => tx.query('SELECT pg_current_xact_id()'),
            (tx) => fx.outbox.write(tx, event('xid-0', round * 2 + 1)),
          );
          await x.ready;
          await fx.writer.transaction((tx) => fx.outbox.write(tx, event('xid-0', round * 2)));
          x.release();
          await x.done;

          const open = Array.from({ length: TRANSACTIONS }, (_, i) =>
            heldTransaction(fx, (tx) =>
              fx.outbox.write(
                tx,
                Array.from({ length: EVENTS_PER_TX }, (_, k) =>
                  event(`late-${i}`, round * EVENTS_PER_TX + k),
                ),
              ),
            ),
          );
          await Promise.all(open.map((t) => t.ready));
          for (let i = TRANSACTIONS - 1; i >= 0; i--) {
            open[i]!.release();
            await open[i]!.done;
            await sleep(COMMIT_GAP_MS);
          }
        }

        const others = 1 + ROUNDS * (2 + TRANSACTIONS * EVENTS_PER_TX) - 1;
        const flowed = await pollUntil(async () => (await handledCount(fx.consumer.sql)) >= others, deadline);
        if (!flowed)
          problems.push(
            'events committed after the open transactions were not all handled while they stayed open',
          );
        long.release();
        idle.release();
        await Promise.all([long.done, idle.done]);
        await pollUntil(async () => (await handledCount(fx.consumer.sql)) >= others + 1, deadline);
        await sleep(500);
        await fx.stopWorkers();

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
          {
            transport,
            reverse_commits: ROUNDS * TRANSACTIONS,
            held_open: 'yes',
            fencing_violations: audit.foreignWrites + audit.sharedEpochs,
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
