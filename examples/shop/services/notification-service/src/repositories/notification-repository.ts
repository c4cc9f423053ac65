import type { TenantScope } from '@outrig/core';
import type { SqlTransaction } from '@outrig/db';
import type { CloudEvent } from '@outrig/messaging';
import { desc, eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { notificationTable } from '../models/notification-table.ts';

/** The tenant of events that name none (written before tenants existed). */
export const DEFAULT_TENANT = 'default';

export interface Notification {
  id: string;
  /** The tenant of the event it was made from. */
  tenant: string;
  eventId: string;
  type: string;
  subject: string | null;
  source: string;
  data: unknown;
  eventTime: string;
  createdAt: string;
}

/** The tenant an event belongs to: `data.tenant`, or {@link DEFAULT_TENANT} when it has none. */
export function tenantOfEvent(event: Pick<CloudEvent, 'data'>): string {
  const tenant = (event.data as { tenant?: unknown } | null | undefined)?.tenant;
  return typeof tenant === 'string' && tenant !== '' ? tenant : DEFAULT_TENANT;
}

/**
 * Notifications in notification-service's own database. Reads take a {@link TenantScope}: one
 * tenant, or (admins on a crossTenant route) all of them; there is no unscoped read.
 */
export function createNotificationRepository(db: NodePgDatabase) {
  return {
    async list(scope: TenantScope, limit: number): Promise<Notification[]> {
      const query = db.select().from(notificationTable);
      const scoped = scope.kind === 'all' ? query : query.where(eq(notificationTable.tenantId, scope.tenant));
      const rows = await scoped
        .orderBy(desc(notificationTable.createdAt), desc(notificationTable.eventTime))
        .limit(limit);
      return rows.map(({ tenantId, ...r }) => ({
        ...r,
        tenant: tenantId,
        eventTime: r.eventTime.toISOString(),
        createdAt: r.createdAt.toISOString(),
      }));
    },
    /** Stores one notification inside the consumer's transaction (the inbox row commits with it). */
    async record(tx: SqlTransaction, event: CloudEvent): Promise<void> {
      await tx.query(
        `insert into notifications (tenant_id, event_id, type, subject, source, data, event_time)
         values ($1, $2, $3, $4, $5, $6, $7)`,
        [
          tenantOfEvent(event),
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
