import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * One notification per consumed event (event_id is unique: the inbox already dedupes; this
 * states it). Each belongs to the tenant of the event that caused it.
 */
export const notificationTable = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    eventId: uuid('event_id').notNull().unique(),
    type: text('type').notNull(),
    subject: text('subject'),
    source: text('source').notNull(),
    data: jsonb('data').notNull(),
    eventTime: timestamp('event_time', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('notifications_created_at_idx').on(t.createdAt),
    index('notifications_tenant_created_at_idx').on(t.tenantId, t.createdAt),
  ],
);
