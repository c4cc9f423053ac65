import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, freePort, KafkaMock, kafkaMockAvailable } from '@outrig/testing';
import { Consumer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The reference system on Kafka with only BUS_URL changed: `npm start` (`outrig dev --cwd
// examples/shop`) with its embedded PostgreSQL, and BUS_URL=kafka://… pointing at a
// Kafka-protocol broker (librdkafka's mock cluster, its own process). A created product must
// become a notification, through Kafka.
const OUTRIG = fileURLToPath(new URL('../../../packages/cli/src/bin.ts', import.meta.url));
const SHOP = fileURLToPath(new URL('..', import.meta.url));
const ok = kafkaMockAvailable();

let mock: KafkaMock | undefined;
let launcher: ChildProcess | undefined;
let output = '';
let home = '';
let adminToken = '';
const ports = { auth: 0, order: 0, inventory: 0, payment: 0, notification: 0, gateway: 0, pg: 0 };
const gateway = () => `http://127.0.0.1:${ports.gateway}`;

describe.skipIf(!ok)('the shop with BUS_URL=kafka://… (librdkafka mock cluster)', () => {
  beforeAll(async () => {
    mock = await KafkaMock.start();
    home = mkdtempSync(join(tmpdir(), 'outrig-shop-kafka-'));
    chmodSync(home, 0o755);
    for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
    const env: Record<string, string | undefined> = {
      ...process.env,
      OUTRIG_HOME: home,
      OUTRIG_PG_PORT: String(ports.pg),
      AUTH_SERVICE_PORT: String(ports.auth),
      ORDER_SERVICE_PORT: String(ports.order),
      INVENTORY_SERVICE_PORT: String(ports.inventory),
      PAYMENT_SERVICE_PORT: String(ports.payment),
      NOTIFICATION_SERVICE_PORT: String(ports.notification),
      GATEWAY_PORT: String(ports.gateway),
      LOG_LEVEL: 'warn',
    };
    for (const name of Object.keys(env)) {
      if (/^(DATABASE_URL|BUS_URL|REGISTRY_URL|JWT_|AUTH_CLIENT|SHOP_ADMIN_)/.test(name)) delete env[name];
    }
    env.BUS_URL = mock.url; // the one change
    launcher = spawn(process.execPath, [OUTRIG, 'dev', '--cwd', SHOP, '--start-timeout', '150'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher.stdout!.on('data', (d) => (output += d));
    launcher.stderr!.on('data', (d) => (output += d));
    await eventually(
      'the system to start',
      async () => (output.includes('shop is running:') ? true : undefined),
      { timeoutMs: 240_000, context: () => output },
    );
    const login = await fetch(`${gateway()}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@shop.local', password: 'shop-admin-dev-password' }),
    });
    expect(login.status).toBe(200);
    adminToken = ((await login.json()) as { data: { accessToken: string } }).data.accessToken;
  }, 16 * 60_000);

  afterAll(async () => {
    if (launcher && launcher.exitCode === null) {
      const exited = new Promise((r) => launcher!.once('exit', r));
      launcher.kill('SIGTERM');
      await exited;
    }
    await mock?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('a created product becomes a notification, and the event went through Kafka', async () => {
    const res = await fetch(`${gateway()}/api/v2/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({
        name: 'Kafka pen',
        sku: 'KAFKA-1',
        stock: 1,
        price: { amount: 100, currency: 'EUR' },
      }),
    });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { data: { id: string } }).data.id;
    const found = await eventually(
      'the notification',
      async () => {
        const list = await fetch(`${gateway()}/api/v1/notifications?limit=500`, {
          headers: { authorization: `Bearer ${adminToken}` },
        });
        const rows = ((await list.json()) as { data: { subject: string; type: string }[] }).data;
        return rows.find((n) => n.subject === id && n.type === 'product.created');
      },
      { timeoutMs: 60_000, context: () => output },
    );
    expect(found.subject).toBe(id);

    // The Kafka topic holds the event, keyed by the product id (its partition's end offset moved).
    const consumer = new Consumer({
      clientId: 'shop-test',
      groupId: 'shop-test',
      bootstrapBrokers: [mock!.bootstrap],
    });
    try {
      const offsets = await consumer.listOffsets({ topics: ['product.events'] });
      const total = (offsets.get('product.events') ?? []).reduce((n, o) => n + Number(o), 0);
      expect(total).toBeGreaterThanOrEqual(1);
    } finally {
      await consumer.close(true);
    }
  }, 120_000);
});
