/** A subscriber on `<topic>.dlq` in the test process: what was dead-lettered, and why. */
import { type CloudEvent, type Delivery, resolveBroker } from '@outrig/messaging';
import { DEAD_LETTER_TOPIC } from './events.ts';
import type { Fixture } from './fixture.ts';

export interface DeadLetterRecord {
  /** `invalid`, `handler_failed` or `redelivery_limit`. */
  readonly reason: string;
  readonly label: string;
}

export interface DeadLetters {
  /** Event id → record. */
  readonly seen: ReadonlyMap<string, DeadLetterRecord>;
  close(): Promise<void>;
}

/** Subscribes (own group) to the scenario's dead-letter topic on its transport. */
export async function watchDeadLetters(fx: Fixture): Promise<DeadLetters> {
  const broker = await resolveBroker(fx.broker.url, {
    nats: fx.broker.options,
    postgres: fx.broker.options,
    rabbitmq: fx.broker.options,
    redis: fx.broker.options,
  });
  const seen = new Map<string, DeadLetterRecord>();
  try {
    await broker.subscribe([DEAD_LETTER_TOPIC], { group: 'rel-dlq-check' }, async (d: Delivery) => {
      const text = (d.event as CloudEvent & { deadletterreason?: string }).deadletterreason ?? '';
      const reason = text.split(':')[0] ?? '';
      seen.set(d.event.id, { reason, label: `${d.event.subject} v${d.event.aggregateversion} ${reason}` });
      await d.ack();
    });
  } catch (error) {
    await broker.close().catch(() => {});
    throw error;
  }
  return { seen, close: () => broker.close() };
}

/** Problems when the dead letters are not exactly `expected` (id → reason). */
export function checkDeadLetters(dlq: DeadLetters, expected: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const missing = [...expected.keys()].filter((id) => !dlq.seen.has(id));
  const extra = [...dlq.seen.keys()].filter((id) => !expected.has(id));
  const wrong = [...expected].filter(
    ([id, reason]) => dlq.seen.has(id) && dlq.seen.get(id)!.reason !== reason,
  );
  if (missing.length > 0) problems.push(`${missing.length} poison events not on ${DEAD_LETTER_TOPIC}`);
  if (extra.length > 0) {
    const which = extra.map((id) => dlq.seen.get(id)!.label).join(', ');
    problems.push(`${extra.length} events dead-lettered that should have been handled: ${which}`);
  }
  for (const [id, reason] of wrong) {
    problems.push(`dead-lettered as ${dlq.seen.get(id)!.label}, expected reason ${reason}`);
  }
  return problems;
}
