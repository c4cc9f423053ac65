import { randomUUID } from 'node:crypto';
import { migrate } from '@outrig/db';
import { type CloudEvent, createConsumer, inboxMigrations, resolveBroker } from '@outrig/messaging';
import { createTestDatabase, serverAvailable, type TestDatabase, testServers } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// BUS_URL → adapter package, through the real dynamic import (not a stub), then one event
// through createConsumer end to end.
const hasPg = await serverAvailable('postgres');
const hasNats = await serverAvailable('nats');

describe.skipIf(!hasPg)('createConsumer over transports resolved from a URL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('consumer_transports');
    await migrate(db.sql, [inboxMigrations]);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const urls = [
    { name: 'memory:', url: () => 'memory:', run: true },
    { name: 'postgres://', url: () => db.url, run: true },
    { name: 'nats://', url: () => testServers.nats, run: hasNats },
  ];

  for (const { name, url, run } of urls) {
    it.skipIf(!run)(`${name} resolves to its adapter and delivers to a consumer`, async () => {
      const suffix = randomUUID().slice(0, 8);
      const broker = await resolveBroker(url(), { nats: { streamPrefix: `RESOLVE${suffix}` } });
      const consumer = createConsumer({ sql: db.sql, broker, group: `resolve-${suffix}` });
      try {
        await broker.ping();
        const topic = `resolve-${suffix}.events`;
        const seen: string[] = [];
        await consumer.subscribe(topic, async (event) => {
          seen.push(event.id);
        });
        const event: CloudEvent = {
          specversion: '1.0',
          id: randomUUID(),
          source: '/services/test',
          type: 'thing.happened',
          subject: 'k',
          time: new Date().toISOString(),
          datacontenttype: 'application/json',
          data: {},
        };
        expect(await broker.publish([{ topic, key: 'k', event }])).toEqual([{ ok: true }]);
        for (let i = 0; i < 1000 && consumer.stats().handled === 0; i++)
          await new Promise((r) => setTimeout(r, 10));
        expect(seen).toEqual([event.id]);
      } finally {
        await consumer.close();
        await broker.close();
      }
    });
  }
});
