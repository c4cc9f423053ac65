import { randomUUID } from 'node:crypto';
import type { Service } from '@outrig/core';
import { type CloudEvent, createMemoryBroker, sharedMemoryHub } from '@outrig/messaging';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestIssuer, type TestIssuer } from '../../../test/support/tokens.ts';
import { createNotificationService } from '../src/service.ts';

// notification-service on its own database, fed through an in-process bus: each notification
// takes the tenant of its event (`default` for events without one), and the list needs a token
// and shows the caller's tenant only (admins: any tenant, or all).

const hasPg = await serverAvailable('postgres');
const BUS = `memory:notifications-api-${randomUUID()}`;
let db: TestDatabase;
let issuer: TestIssuer;
let service: Service;

/** A product event as inventory-service publishes it (`tenant` absent: written before tenants). */
function productEvent(tenant: string | undefined): CloudEvent {
  const id = randomUUID();
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/services/inventory-service',
    type: 'product.created',
    subject: id,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { id, ...(tenant ? { tenant } : {}), name: 'Pen', sku: null, stock: 1, price: null },
  };
}

const events = {
  a: productEvent('tenant-a'),
  b: productEvent('tenant-b'),
  old: productEvent(undefined),
};

type Listed = { eventId: string; tenant: string }[];
const list = async (token: string | undefined, query = '') => {
  const res = await service.app.inject({
    url: `/api/v1/notifications${query}`,
    headers: token ? bearer(token) : {},
  });
  return { status: res.statusCode, body: res.json() as { data: Listed; error?: { code: string } } };
};

beforeAll(async () => {
  if (!hasPg) return;
  issuer = await startTestIssuer();
  db = await createTestDatabase('notifications_api');
  service = await createNotificationService({
    env: { LOG_LEVEL: 'silent', DATABASE_URL: db.url, BUS_URL: BUS, ...issuer.env },
  });
  await service.app.ready();
  const broker = createMemoryBroker({ hub: sharedMemoryHub(BUS.slice('memory:'.length)) });
  await broker.publish(
    Object.values(events).map((event) => ({ topic: 'product.events', key: event.subject!, event })),
  );
  const admin = await issuer.admin();
  const deadline = Date.now() + 20_000;
  while ((await list(admin)).body.data.length < 3) {
    if (Date.now() > deadline) throw new Error('the three notifications never arrived');
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await db?.drop();
  await issuer?.close();
});

describe.skipIf(!hasPg)('notification-service: notifications per tenant', () => {
  it('needs a token: 401 without one, 403 TENANT_REQUIRED for a service token (no tenant)', async () => {
    const anonymous = await list(undefined);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error?.code).toBe('UNAUTHENTICATED');
    const serviceToken = await list(await issuer.service());
    expect(serviceToken.status).toBe(403);
    expect(serviceToken.body.error?.code).toBe('TENANT_REQUIRED');
  });

  it("a user sees only its tenant's notifications, and cannot ask for another tenant's", async () => {
    const a = await list(await issuer.user('tenant-a'));
    expect(a.body.data).toEqual([expect.objectContaining({ eventId: events.a.id, tenant: 'tenant-a' })]);
    const b = await list(await issuer.user('tenant-b'));
    expect(b.body.data.map((n) => n.eventId)).toEqual([events.b.id]);
    const other = await list(await issuer.user('tenant-a'), '?tenant=tenant-b');
    expect(other.status).toBe(403);
    expect(other.body.error?.code).toBe('FORBIDDEN');
    expect((await list(await issuer.user('tenant-c'))).body.data).toEqual([]);
  });

  it('an event without a tenant becomes a notification of tenant default', async () => {
    const fallback = await list(await issuer.user('default'));
    expect(fallback.body.data).toEqual([
      expect.objectContaining({ eventId: events.old.id, tenant: 'default' }),
    ]);
  });

  it('an admin lists every tenant, or the one it names', async () => {
    const admin = await issuer.admin('tenant-a');
    const all = await list(admin);
    expect(all.body.data.map((n) => n.eventId).sort()).toEqual(
      Object.values(events)
        .map((e) => e.id)
        .sort(),
    );
    const named = await list(admin, '?tenant=tenant-b');
    expect(named.body.data.map((n) => n.eventId)).toEqual([events.b.id]);
  });
});
