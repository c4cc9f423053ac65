import type { SqlTransaction } from '@outrig/db';
import type { CloudEvent } from '@outrig/messaging';
import { desc } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { notificationTable } from '../models/notification-table.ts';

export interface Notification {
  id: string;
  eventId: string;
  type: string;
  subject: string | null;
  source: string;
  data: unknown;
  eventTime: string;
  createdAt: string;
}

/** Notifications in notification-service's own database. */
export function createNotificationRepository(db: NodePgDatabase) {
  return {
    async list(limit: number): Promise<Notification[]> {
      const rows = await db
        .select()
        .from(notificationTable)
        .orderBy(desc(notificationTable.createdAt), desc(notificationTable.eventTime))
        .limit(limit);
      return rows.map((r) => ({
        ...r,
        eventTime: r.eventTime.toISOString(),
        createdAt: r.createdAt.toISOString(),
      }));
    },
    /** Stores one notification inside the consumer's transaction (the inbox row commits with it). */
    async record(tx: SqlTransaction, event: CloudEvent): Promise<void> {
      await tx.query(
        `insert into notifications (event_id, type, subject, source, data, event_time)
         values ($1, $2, $3, $4, $5, $6)`,
        [
          event.id,
          event.type,
          event.subject ?? null,
          event.source,
          JSON.stringify(event.data ?? null),
          event.time,
        ],
      );
    },
  };
}

export type NotificationRepository = ReturnType<typeof createNotificationRepository>;
