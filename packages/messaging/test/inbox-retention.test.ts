import { randomUUID } from 'node:crypto';
import { migrate } from '@outrig/db';
import {
  connectMessaging,
  inboxMigrations,
  messagingConfig,
  messagingOptions,
  startInboxRetention,
} from '@outrig/messaging';
import { createTestDatabase, eventually, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const ok = await serverAvailable('postgres');
const DAY = 24 * 3_600_000;

describe.skipIf(!ok)('inbox retention', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('inbox_retention');
    await migrate(db.sql, [inboxMigrations]);
  });
  afterAll(() => db?.drop());
  beforeEach(() => db.sql.query('TRUNCATE inbox, inbox_starts'));

  /** An inbox row handled `daysAgo` days ago; resolves its event id. */
  const handled = async (daysAgo: number) => {
    const id = randomUUID();
    await db.sql.query(
      `INSERT INTO inbox (consumer_group, event_id, event_type, handled_at)
       VALUES ('g', $1, 't', clock_timestamp() - make_interval(days => $2))`,
      [id, daysAgo],
    );
    return id;
  };
  const remaining = async () =>
    new Set(
      (await db.sql.query<{ id: string }>('SELECT event_id::text AS id FROM inbox')).rows.map((r) => r.id),
    );

  /** A stand-in for a Service, with the close hooks it was given. */
  const host = () => {
    const hooks = new Map<string, () => Promise<void> | void>();
    const logged: { obj: object; msg?: string }[] = [];
    const log = {
      info: (obj: object, msg?: string) => logged.push({ obj, msg }),
      warn: (obj: object, msg?: string) => logged.push({ obj, msg }),
      error: () => {},
    };
    return {
      name: 'retention-test',
      log,
      logged,
      hooks,
      readiness: () => {},
      onClose: (name: string, hook: () => Promise<void> | void) => hooks.set(name, hook),
      async close() {
        for (const hook of [...hooks.values()].reverse()) await hook();
      },
    };
  };

  it('deletes rows older than the retention, keeps newer ones, and stops when told', async () => {
    const old1 = await handled(10);
    const old2 = await handled(8);
    const recent = await handled(1);
    const h = host();
    const retention = startInboxRetention(db.sql, { olderThanMs: 7 * DAY, intervalMs: 50, log: h.log });
    await eventually('the old rows deleted', async () => ((await remaining()).size === 1 ? true : undefined));
    expect(await remaining()).toEqual(new Set([recent]));
    expect(h.logged).toContainEqual({ obj: { deleted: 2, olderThanMs: 7 * DAY }, msg: 'inbox cleanup' });
    await retention.stop();
    // After stop() nothing is deleted any more, however many intervals pass.
    const late = await handled(30);
    await new Promise((r) => setTimeout(r, 300));
    expect(await remaining()).toEqual(new Set([recent, late]));
    expect([old1, old2]).not.toContain(late);
  });

  it('is on by default in connectMessaging, configured by INBOX_RETENTION_HOURS, and 0 turns it off', async () => {
    // INBOX_RETENTION_HOURS → inboxRetentionMs.
    expect(messagingConfig.inboxRetentionHours).toBeDefined();
    const options = messagingOptions(
      {
        outboxEnabled: false,
        outboxProcessingIntervalMs: 500,
        outboxMaxRetry: 10,
        inboxRetentionHours: 48,
      },
      { sql: db.sql, url: db.url },
    );
    expect(options.inboxRetentionMs).toBe(2 * DAY);

    const byDefault = host();
    await connectMessaging(byDefault, {
      sql: db.sql,
      databaseUrl: db.url,
      busUrl: 'memory:',
      outboxEnabled: false,
    });
    expect(byDefault.hooks.has('inbox-retention')).toBe(true);
    await byDefault.close();

    const old = await handled(3);
    const recent = await handled(1);
    const off = host();
    await connectMessaging(off, {
      sql: db.sql,
      databaseUrl: db.url,
      busUrl: 'memory:',
      outboxEnabled: false,
      inboxRetentionMs: 0,
      inboxCleanupIntervalMs: 50,
    });
    expect(off.hooks.has('inbox-retention')).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(await remaining()).toEqual(new Set([old, recent]));
    await off.close();

    const on = host();
    await connectMessaging(on, {
      sql: db.sql,
      databaseUrl: db.url,
      busUrl: 'memory:',
      outboxEnabled: false,
      inboxRetentionMs: options.inboxRetentionMs,
      inboxCleanupIntervalMs: 50,
    });
    expect(on.hooks.has('inbox-retention')).toBe(true);
    await eventually('the old row deleted', async () => ((await remaining()).size === 1 ? true : undefined));
    expect(await remaining()).toEqual(new Set([recent]));
    await on.close();
  });
});
