// Issue #18: the reference system runs on every transport with only BUS_URL changed.
// inventory-service and notification-service, wired as in production (startWiredShop), once on
// a private RabbitMQ node and once on a private redis-server: products created through the API
// become notifications, each exactly once. (The postgres bus runs in the other shop tests, NATS
// in the reliability suite.)
import {
  RabbitMqServer,
  RedisServer,
  rabbitMqServerInstalled,
  redisServerInstalled,
  serverAvailable,
} from '@outrig/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { bearer } from './support/tokens.ts';
import { startWiredShop, type WiredShop } from './support/wired-shop.ts';

const hasPg = await serverAvailable('postgres');
const transports = [
  {
    name: 'rabbitmq',
    scheme: 'amqp',
    installed: rabbitMqServerInstalled(),
    start: async () => {
      const server = await RabbitMqServer.start();
      return { url: server.url, dispose: () => server.dispose() };
    },
  },
  {
    name: 'redis',
    scheme: 'redis',
    installed: redisServerInstalled(),
    start: async () => {
      const server = await RedisServer.start();
      return { url: server.url, dispose: () => server.dispose() };
    },
  },
];

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}, 60_000);

for (const transport of transports) {
  describe.skipIf(!hasPg || !transport.installed)(
    `the shop with BUS_URL=${transport.scheme}://… (${transport.name})`,
    () => {
      it('products created through the API become notifications, each exactly once', async () => {
        const server = await transport.start();
        cleanups.push(server.dispose);
        const shop: WiredShop = await startWiredShop(`bus_${transport.name}`, { busUrl: server.url });
        cleanups.push(() => shop.close());
        const admin = bearer(await shop.issuer.admin());
        const names = ['Pen', 'Ink', 'Nib'];
        for (const [i, name] of names.entries()) {
          const created = await fetch(`${shop.inventoryUrl}/api/v2/products`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...admin },
            body: JSON.stringify({
              name,
              sku: `SKU-${i}`,
              stock: 5,
              price: { amount: 199, currency: 'EUR' },
            }),
          });
          expect(created.status).toBe(201);
        }
        const reader = bearer(await shop.issuer.user('default'));
        const list = async () => {
          const res = await fetch(`${shop.notificationUrl}/api/v1/notifications`, { headers: reader });
          return ((await res.json()) as { data: unknown[] }).data;
        };
        const deadline = Date.now() + 30_000;
        while ((await list()).length < names.length) {
          if (Date.now() > deadline) throw new Error(`fewer than ${names.length} notifications after 30 s`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        // Redeliveries would show up as extra notifications: give them a moment.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        expect(await list()).toHaveLength(names.length);
        await fetch(`${shop.inventoryUrl}/ready`).then((res) => expect(res.status).toBe(200));
      }, 180_000);
    },
  );
}
