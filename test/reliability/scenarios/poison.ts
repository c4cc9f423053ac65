/**
 * Poison: among normal traffic, (1) an event whose data fails the consumer's schema validation,
 * written straight into the outbox in the middle of a normal aggregate; (2) an aggregate whose
 * handler always throws; (3, nats) an event the transport cannot encode (an object-valued
 * CloudEvents attribute), which the relay retries and parks. (1) and (2) must land on
 * `<topic>.dlq` — checked by subscribing to it — with the right reason; (3) must be parked and
 * block only its own aggregate. Every other event must be handled, in order.
 */
import type { CloudEvent } from '@outrig/messaging';
import { checkDeadLetters, watchDeadLetters } from '../lib/dead-letters.ts';
import { Changed } from '../lib/events.ts';
import { Fixture, scenarioOptions, type Transport } from '../lib/fixture.ts';
import { aggregateIds, produce } from '../lib/produce.ts';
import { resultOf, type Scenario, type ScenarioResult } from '../lib/scenario.ts';
import { handledCount, tally } from '../lib/tally.ts';
import { pollUntil, sleep } from '../lib/wait.ts';

const THROWING = 'poison-throw';
const PARKED = 'poison-park';

export function poison(transport: Transport): Scenario {
  const name = `poison[${transport}]`;
  return {
    name,
    budgetMs: 60_000,
    needsNats: transport === 'nats',
    async run({ nats, deadline }): Promise<ScenarioResult> {
      const fx = await Fixture.create(
        `poison_${transport}`,
        scenarioOptions(transport, nats, {
          group: 'rel-poison',
          nats: { ackWaitMs: 3_000 },
          relay: { maxAttempts: 3, backoff: { baseMs: 50, maxMs: 200 } },
          consumer: { maxAttempts: 3, backoff: { baseMs: 20, maxMs: 100 }, failAggregates: [THROWING] },
        }),
      );
      const problems: string[] = [];
      const dlq = await watchDeadLetters(fx).catch(async (error: unknown) => {
        await fx.dispose();
        throw error;
      });
      try {
        await Promise.all([fx.startRelay(), fx.startRelay(), fx.startConsumer(), fx.startConsumer()]);
        const normal = aggregateIds('ok', 60);
        const write = (events: CloudEvent[]) => fx.writer.transaction((tx) => fx.outbox.write(tx, events));
        const event = (subject: string, n: number) => fx.outbox.event(Changed, { subject, data: { n } });

        const before = await produce(fx.writer, fx.outbox, {
          events: 300,
          aggregates: normal,
          concurrency: 4,
        });
        // (1) invalid data in the middle of aggregate ok-3: outbox.write does not validate data.
        const [invalid] = await write([{ ...event('ok-3', 0), data: { n: 'not a number' } }]);
        // (2) an aggregate whose handler always throws.
        const throwing = await write([event(THROWING, 1), event(THROWING, 2), event(THROWING, 3)]);
        // (3) nats binary mode cannot carry an object-valued attribute: the relay parks it.
        const unencodable = transport === 'nats';
        if (unencodable) {
          await write([{ ...event(PARKED, 1), badattr: { nested: true } } as CloudEvent]);
          await write([event(PARKED, 2)]);
        }
        const after = await produce(fx.writer, fx.outbox, {
          events: 300,
          aggregates: normal,
          concurrency: 4,
        });

        const dead = new Map([
          [invalid!.id, 'invalid'],
          ...throwing.map((e) => [e.id, 'handler_failed'] as const),
        ]);
        const expectHandled = (r: { id: string; aggregateId: string }) =>
          !dead.has(r.id) && r.aggregateId !== THROWING && r.aggregateId !== PARKED;
        const expected = before.committed + after.committed;
        // Settled: every expected event handled (or wrongly dead-lettered), every poison dead-lettered.
        await pollUntil(async () => {
          const wronglyDead = [...dlq.seen.keys()].filter((id) => !dead.has(id)).length;
          const handled = await handledCount(fx.consumer.sql);
          return handled + wronglyDead >= expected && [...dead.keys()].every((id) => dlq.seen.has(id));
        }, deadline);
        let parkedState = 'n/a';
        if (unencodable) {
          await pollUntil(async () => {
            const { rows } = await fx.producer.sql.query<{ states: string }>(
              `SELECT string_agg(state, ',' ORDER BY aggregate_version) AS states FROM outbox WHERE aggregate_id = $1`,
              [PARKED],
            );
            parkedState = rows[0]?.states ?? '';
            return parkedState === 'parked,pending';
          }, deadline);
          if (parkedState !== 'parked,pending') {
            problems.push(`${PARKED} rows are ${parkedState}, expected parked,pending`);
          }
        }
        await sleep(500);
        await fx.stopWorkers();
        problems.push(...checkDeadLetters(dlq, dead));

        const t = await tally(fx.producer.sql, fx.consumer.sql, expectHandled);
        return resultOf(
          name,
          t,
          {
            transport,
            dead_lettered: dlq.seen.size,
            relay_parked: unencodable ? parkedState : 'n/a',
            handled_expected: t.events,
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
