import type { SqlTransaction } from '@outrig/db';
import { type CloudEvent, createOutbox } from '@outrig/messaging';

const outbox = createOutbox({ source: '/services/booking' });

/** Writes one event to the outbox in `tx`. */
export async function writeOutboxFor(tx: SqlTransaction, event: CloudEvent): Promise<void> {
  await outbox.write(tx, event);
}
