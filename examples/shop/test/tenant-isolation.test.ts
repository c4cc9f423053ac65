// Issue #5 acceptance: "a tenant-A token never reads tenant-B data — test over every
// tenant-scoped route of the reference system". Every service `npm start` runs (outrig.json) is
// started here with real tokens from the real auth-service (register, login, client
// credentials, the seeded admin), and EVERY route each of them serves — read from Fastify's
// route table and from /openapi.json; for the gateway, its route table (the prefixes it
// forwards) — must be listed in `COVERAGE` below with its checks. A new route, gateway prefix or
// service fails this file until someone decides how tenants apply to it.
//
// How tenants apply (service READMEs):
// - products: public catalogues, one per tenant. Reads pick one tenant (`?tenant=`, else the
//   token's, else `default`) and never mix tenants; by id, another tenant's product is a 404.
//   Writes need `admin` and act in the admin's tenant or the one it names (`?tenant=`).
// - notifications: private. A token is required; users see their tenant only (asking for
//   another is 403), admins any tenant or all; tokens without a tenant get 403 TENANT_REQUIRED.
// - orders and payments: private. A token with a tenant is required; an order's prices come from
//   the caller's tenant's catalogue; another tenant's order or payment is a 404. The saga admin
//   routes and the payment provider's switch are operator routes (`admin` role).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '@outrig/core';
import { createLocalRegistry, type Registry } from '@outrig/discovery';
import type { Gateway } from '@outrig/gateway';
import { createTestDatabase, eventually, serverAvailable, type TestDatabase } from '@outrig/testing';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShopAuthService } from '../services/auth-service/src/service.ts';
import { createShopGateway } from '../services/gateway/src/gateway.ts';
import { createInventoryService } from '../services/inventory-service/src/service.ts';
import { createNotificationService } from '../services/notification-service/src/service.ts';
import { createOrderService } from '../services/order-service/src/service.ts';
import { createPaymentService } from '../services/payment-service/src/service.ts';
import { shopServices as system } from './support/shop-services.ts';
import { bearer, SHOP_AUDIENCE, SHOP_ISSUER } from './support/tokens.ts';

const hasPg = await serverAvailable('postgres');

/** Every service of the reference system, started as this test needs it. */
type Factory = (env: Record<string, string>) => Promise<Service>;
const FACTORIES: Record<string, Factory> = {
  'auth-service': (env) => createShopAuthService({ env, scrypt: { ln: 10, r: 8, p: 1 } }),
  'inventory-service': (env) => createInventoryService({ env }),
  'notification-service': (env) => createNotificationService({ env }),
  'order-service': (env) => createOrderService({ env }),
  'payment-service': (env) => createPaymentService({ env }),
  gateway: (env) => createShopGateway({ env: { ...env, AUTO_REGISTER_SERVICE: 'false' } }),
};
const isGateway = (service: Service): service is Gateway => 'matcher' in service && 'routes' in service;

/** Routes the kit serves on every service: public by design, never tenant data. */
const KIT_ROUTES = new Set([
  '/health',
  '/ready',
  '/metrics',
  '/openapi.json',
  '/asyncapi.json',
  '/docs',
  '/api/versions',
]);

const ADMIN = { email: 'admin@tenants.test', password: `admin-${randomUUID()}` };
const CLIENT = { id: 'tenant-test', secret: `secret-${randomUUID()}` };
/** The postgres transport (order-service's read model reads its log): a database of its own. */
let BUS = '';

const dbs: TestDatabase[] = [];
const running = new Map<string, Service>();
/** The registry the gateway finds the services in (local:, in a temporary folder). */
let registryDir = '';
let registry: Registry | undefined;
let authUrl = '';

/** Tokens of the callers every check uses. */
const tokens = { admin: '', alice: '', bob: '', service: '', aliceRefresh: '' };
/** Products created in setup: in tenant-a (v2 and v1), tenant-b, and default. */
const products = { a: '', aV1: '', b: '', d: '' };

type Json = { data?: unknown; error?: { code: string; details?: Record<string, unknown> } };
interface Answer {
  status: number;
  body: Json;
}

async function call(
  serviceName: string,
  method: 'GET' | 'POST',
  url: string,
  token?: string,
  payload?: object,
): Promise<Answer> {
  const service = running.get(serviceName)!;
  const res = await service.app.inject({
    method,
    url,
    headers: token ? bearer(token) : {},
    ...(payload ? { payload } : {}),
  });
  return { status: res.statusCode, body: res.body ? (res.json() as Json) : {} };
}

const inventory = (method: 'GET' | 'POST', url: string, token?: string, payload?: object) =>
  call('inventory-service', method, url, token, payload);
const auth = (method: 'GET' | 'POST', url: string, token?: string, payload?: object) =>
  call('auth-service', method, url, token, payload);
const gateway = (method: 'GET' | 'POST', url: string, token?: string, payload?: object) =>
  call('gateway', method, url, token, payload);

const ids = (answer: Answer) => (answer.body.data as { id: string }[]).map((p) => p.id);

async function login(
  email: string,
  password: string,
): Promise<{ accessToken: string; refreshToken: string }> {
  const res = await auth('POST', '/api/v1/auth/login', undefined, { email, password });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data as { accessToken: string; refreshToken: string };
}

async function register(email: string, tenant: string): Promise<string> {
  const password = `pw-${randomUUID()}`;
  const res = await auth('POST', '/api/v1/auth/register', undefined, { email, password, tenant });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return password;
}

const pen = (sku: string) => ({ name: `Pen ${sku}`, sku, stock: 5, price: { amount: 199, currency: 'EUR' } });

async function createProduct(url: string, payload: object): Promise<string> {
  const res = await inventory('POST', url, tokens.admin, payload);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body.data as { id: string }).id;
}

type Notification = { tenant: string; subject: string; type: string };
async function notifications(token: string, query = ''): Promise<Answer & { items: Notification[] }> {
  const res = await call(
    'notification-service',
    'GET',
    `/api/v1/notifications?limit=500${query.replace('?', '&')}`,
    token,
  );
  return { ...res, items: (res.body.data as Notification[] | undefined) ?? [] };
}

/**
 * `METHOD /path` of every route a service serves, HEAD and the kit's own routes left out. For
 * the gateway: `* <prefix>` of every entry of its route table (its Fastify routes are generated
 * from it, every method, every path below the prefix).
 */
async function routesOf(service: Service): Promise<Set<string>> {
  if (isGateway(service)) return new Set(service.routes.map((route) => `* ${route.path}`));
  const found = new Set<string>();
  // Fastify's route table (also routes hidden from the docs)…
  const tree = service.app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│\s]*)[├└]── (\S+) \(([^)]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('');
    for (const method of m[3]!.split(', ')) found.add(`${method} ${path}`);
  }
  // …and the OpenAPI document ({id} → :id).
  const doc = (await service.app.inject({ url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, unknown>>;
  };
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const method of Object.keys(operations)) {
      found.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    }
  }
  return new Set(
    [...found].filter((route) => {
      const [method, path] = route.split(' ') as [string, string];
      if (method === 'HEAD') return false;
      if (KIT_ROUTES.has(path) || path.startsWith('/docs') || path === '*') return false;
      return true;
    }),
  );
}

/**
 * How tenants apply to each route, and the checks that prove it. `tenantData: false` routes hold
 * no tenant's data; they are listed (with why) so that nothing is unclassified.
 */
interface RouteCoverage {
  readonly tenantData: boolean;
  readonly why: string;
  readonly check?: () => Promise<void>;
}

async function publicCatalogueList(version: 1 | 2): Promise<void> {
  const url = `/api/v${version}/products`;
  // Both versions list the same products (v1 in its own shape).
  const inA = [products.a, products.aV1];
  // A token's default is its own tenant: tenant-a sees tenant-a's products, none of another's.
  const alice = ids(await inventory('GET', url, tokens.alice));
  expect(alice).toEqual(expect.arrayContaining(inA));
  expect(alice).not.toContain(products.b);
  expect(alice).not.toContain(products.d);
  const bob = ids(await inventory('GET', url, tokens.bob));
  expect(bob).toContain(products.b);
  for (const id of [...inA, products.d]) expect(bob).not.toContain(id);
  // Anonymous: tenant default.
  const anonymous = ids(await inventory('GET', url));
  expect(anonymous).toContain(products.d);
  for (const id of [...inA, products.b]) expect(anonymous).not.toContain(id);
  // Catalogues are public: naming a tenant reads that one tenant's, never a mix.
  const named = ids(await inventory('GET', `${url}?tenant=tenant-b`, tokens.alice));
  expect(named).toContain(products.b);
  for (const id of [...inA, products.d]) expect(named).not.toContain(id);
}

async function publicCatalogueGet(version: 1 | 2): Promise<void> {
  const url = (id: string, query = '') => `/api/v${version}/products/${id}${query}`;
  expect((await inventory('GET', url(products.a), tokens.alice)).status).toBe(200);
  // Another tenant's id is a plain 404, as if it did not exist.
  for (const [id, token] of [
    [products.b, tokens.alice],
    [products.a, tokens.bob],
    [products.a, undefined],
    [products.a, tokens.admin],
  ] as const) {
    const res = await inventory('GET', url(id), token);
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe('PRODUCT_NOT_FOUND');
  }
  expect((await inventory('GET', url(products.b, '?tenant=tenant-b'), tokens.alice)).status).toBe(200);
}

async function adminWrite(version: 1 | 2, payload: (sku: string) => object): Promise<void> {
  const url = `/api/v${version}/products`;
  const anonymous = await inventory('POST', url, undefined, payload('W-ANON'));
  expect(anonymous.status).toBe(401);
  expect(anonymous.body.error?.code).toBe('UNAUTHENTICATED');
  for (const token of [tokens.alice, tokens.service]) {
    const denied = await inventory(
      'POST',
      `${url}?tenant=tenant-a`,
      token,
      payload(`W-DENIED-${randomUUID()}`),
    );
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'FORBIDDEN', details: { requiredRoles: ['admin'] } });
  }
  // The admin writes in its own tenant (default) unless it names one (crossTenant).
  const own = await createProduct(url, payload(`W-OWN-${version}`));
  const named = await createProduct(`${url}?tenant=tenant-b`, payload(`W-B-${version}`));
  const anonymousList = ids(await inventory('GET', url));
  expect(anonymousList).toContain(own);
  expect(anonymousList).not.toContain(named);
  expect(ids(await inventory('GET', url, tokens.bob))).toContain(named);
  expect(ids(await inventory('GET', url, tokens.alice))).not.toContain(named);
}

async function stockAdjustment(): Promise<void> {
  const url = (query = '') => `/api/v2/products/${products.a}/stock-adjustments${query}`;
  expect((await inventory('POST', url(), undefined, { delta: 1 })).status).toBe(401);
  const alice = await inventory('POST', url(), tokens.alice, { delta: 1 });
  expect(alice.status).toBe(403);
  expect(alice.body.error?.code).toBe('FORBIDDEN');
  // The admin acts in its own tenant unless it names one: tenant-a's product is not found there.
  const elsewhere = await inventory('POST', url(), tokens.admin, { delta: 1 });
  expect(elsewhere.status).toBe(404);
  const named = await inventory('POST', url('?tenant=tenant-a'), tokens.admin, { delta: 2 });
  expect(named.status).toBe(200);
  expect((named.body.data as { stock: number }).stock).toBe(7);
  // Its event, and so its notification, belongs to tenant-a.
  const seen = await eventually('the stock notification in tenant-a', async () => {
    const items = (await notifications(tokens.alice)).items;
    return items.find((n) => n.type === 'product.stock_adjusted' && n.subject === products.a);
  });
  expect(seen.tenant).toBe('tenant-a');
  const bob = (await notifications(tokens.bob)).items;
  expect(bob.some((n) => n.subject === products.a)).toBe(false);
}

async function notificationList(): Promise<void> {
  const anonymous = await call('notification-service', 'GET', '/api/v1/notifications');
  expect(anonymous.status).toBe(401);
  expect(anonymous.body.error?.code).toBe('UNAUTHENTICATED');
  const service = await notifications(tokens.service);
  expect(service.status).toBe(403);
  expect(service.body.error?.code).toBe('TENANT_REQUIRED');

  const alice = await notifications(tokens.alice);
  expect(alice.items.map((n) => n.subject)).toEqual(expect.arrayContaining([products.a, products.aV1]));
  expect(new Set(alice.items.map((n) => n.tenant))).toEqual(new Set(['tenant-a']));
  const bob = await notifications(tokens.bob);
  expect(bob.items.map((n) => n.subject)).toContain(products.b);
  expect(new Set(bob.items.map((n) => n.tenant))).toEqual(new Set(['tenant-b']));
  const asking = await notifications(tokens.alice, '?tenant=tenant-b');
  expect(asking.status).toBe(403);
  expect(asking.body.error?.code).toBe('FORBIDDEN');
  // The same tenant named explicitly is fine.
  expect((await notifications(tokens.alice, '?tenant=tenant-a')).items).toHaveLength(alice.items.length);

  // Admins (crossTenant): one named tenant, or every tenant.
  const adminB = await notifications(tokens.admin, '?tenant=tenant-b');
  expect(new Set(adminB.items.map((n) => n.tenant))).toEqual(new Set(['tenant-b']));
  const all = await notifications(tokens.admin);
  expect(new Set(all.items.map((n) => n.tenant))).toEqual(new Set(['tenant-a', 'tenant-b', 'default']));
}

/** Through the gateway (edge auth `optional`, the caller's token forwarded): the same isolation. */
async function throughGatewayProducts(): Promise<void> {
  const anonymous = ids(await gateway('GET', '/api/v2/products'));
  expect(anonymous).toContain(products.d);
  expect(anonymous).not.toContain(products.a);
  const alice = ids(await gateway('GET', '/api/v2/products', tokens.alice));
  expect(alice).toContain(products.a);
  expect(alice).not.toContain(products.b);
  expect((await gateway('GET', `/api/v2/products/${products.b}`, tokens.alice)).status).toBe(404);
  const write = await gateway('POST', '/api/v2/products?tenant=tenant-a', tokens.alice, pen('GW-DENIED'));
  expect(write.status).toBe(403);
  const bad = await gateway('GET', '/api/v2/products', 'not.a.token');
  expect(bad.status).toBe(401);
}

async function throughGatewayNotifications(): Promise<void> {
  expect((await gateway('GET', '/api/v1/notifications')).status).toBe(401);
  const alice = await gateway('GET', '/api/v1/notifications?limit=500', tokens.alice);
  const items = alice.body.data as Notification[];
  expect(items.map((n) => n.subject)).toContain(products.a);
  expect(new Set(items.map((n) => n.tenant))).toEqual(new Set(['tenant-a']));
  expect((await gateway('GET', '/api/v1/notifications?tenant=tenant-b', tokens.alice)).status).toBe(403);
  const admin = await gateway('GET', '/api/v1/notifications?limit=500&tenant=tenant-b', tokens.admin);
  expect(new Set((admin.body.data as Notification[]).map((n) => n.tenant))).toEqual(new Set(['tenant-b']));
}

/** An order of alice (tenant-a) for products.a, placed once and waited for until the saga decided. */
let aliceOrderPromise: Promise<string> | undefined;
function aliceOrder(): Promise<string> {
  aliceOrderPromise ??= (async () => {
    const placed = await call('order-service', 'POST', '/api/v1/orders', tokens.alice, {
      items: [{ productId: products.a, quantity: 1 }],
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(202);
    const id = (placed.body.data as { id: string }).id;
    await eventually(
      'the order saga to decide',
      async () => {
        const res = await call('order-service', 'GET', `/api/v1/orders/${id}`, tokens.alice);
        return (res.body.data as { status?: string } | undefined)?.status === 'confirmed' ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    return id;
  })();
  return aliceOrderPromise;
}

const orders = (method: 'GET' | 'POST', url: string, token?: string, payload?: object) =>
  call('order-service', method, url, token, payload);

async function placeOrder(): Promise<void> {
  await aliceOrder();
  // Prices come from the caller's tenant's catalogue: another tenant's product is not there.
  const foreign = await orders('POST', '/api/v1/orders', tokens.alice, {
    items: [{ productId: products.b, quantity: 1 }],
  });
  expect(foreign.status).toBe(422);
  expect(foreign.body.error?.code).toBe('ORDER_ITEMS_INVALID');
  const anonymous = await orders('POST', '/api/v1/orders', undefined, { items: [] });
  expect(anonymous.status).toBe(401);
  const service = await orders('POST', '/api/v1/orders', tokens.service, {
    items: [{ productId: products.a, quantity: 1 }],
  });
  expect(service.status).toBe(403);
  expect(service.body.error?.code).toBe('TENANT_REQUIRED');
}

async function readOrder(): Promise<void> {
  const id = await aliceOrder();
  expect((await orders('GET', `/api/v1/orders/${id}`, tokens.alice)).status).toBe(200);
  // Another tenant's order is not found, an admin of another tenant included.
  for (const token of [tokens.bob, tokens.admin]) {
    const res = await orders('GET', `/api/v1/orders/${id}`, token);
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe('ORDER_NOT_FOUND');
  }
}

async function listOrders(): Promise<void> {
  const id = await aliceOrder();
  await eventually('the order in the read model', async () => {
    const mine = (await orders('GET', '/api/v1/orders', tokens.alice)).body.data as { id: string }[];
    return mine.some((o) => o.id === id) ? true : undefined;
  });
  for (const token of [tokens.bob, tokens.admin]) {
    const theirs = (await orders('GET', '/api/v1/orders', token)).body.data as { id: string }[];
    expect(theirs.map((o) => o.id)).not.toContain(id);
  }
}

/** Operator routes (role admin): a user or an anonymous caller is refused. */
function operatorOnly(service: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  return async () => {
    const target = running.get(service)!;
    for (const [token, status] of [
      [undefined, 401],
      [tokens.alice, 403],
    ] as const) {
      const res = await target.app.inject({
        method,
        url: url.replace(':id', randomUUID()),
        headers: token ? bearer(token) : {},
        ...(payload ? { payload } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(status);
    }
  };
}

async function readPayment(): Promise<void> {
  const id = await aliceOrder();
  const payment = await call('payment-service', 'GET', `/api/v1/payments/${id}`, tokens.alice);
  expect(payment.status).toBe(200);
  expect(payment.body.data).toMatchObject({ tenant: 'tenant-a', status: 'charged' });
  for (const token of [tokens.bob, tokens.admin]) {
    const res = await call('payment-service', 'GET', `/api/v1/payments/${id}`, token);
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe('PAYMENT_NOT_FOUND');
  }
}

async function throughGatewayOrders(): Promise<void> {
  const id = await aliceOrder();
  expect((await gateway('GET', `/api/v1/orders/${id}`)).status).toBe(401);
  expect((await gateway('GET', `/api/v1/orders/${id}`, tokens.alice)).status).toBe(200);
  expect((await gateway('GET', `/api/v1/orders/${id}`, tokens.bob)).status).toBe(404);
}

async function throughGatewayPayments(): Promise<void> {
  const id = await aliceOrder();
  expect((await gateway('GET', `/api/v1/payments/${id}`)).status).toBe(401);
  expect((await gateway('GET', `/api/v1/payments/${id}`, tokens.alice)).status).toBe(200);
  expect((await gateway('GET', `/api/v1/payments/${id}`, tokens.bob)).status).toBe(404);
}

/** A gateway prefix whose service is not part of the reference system yet. */
function notInTheSystemYet(service: string): RouteCoverage {
  return {
    tenantData: false,
    why: `${service} is not in the reference system yet (503 until it runs); classify its routes when it is`,
    check: async () => {
      expect(system.map((s) => s.name)).not.toContain(service);
    },
  };
}

const COVERAGE: Record<string, Record<string, RouteCoverage>> = {
  'inventory-service': {
    'GET /api/v1/products': {
      tenantData: true,
      why: 'public catalogue per tenant',
      check: () => publicCatalogueList(1),
    },
    'GET /api/v2/products': {
      tenantData: true,
      why: 'public catalogue per tenant',
      check: () => publicCatalogueList(2),
    },
    'GET /api/v1/products/:id': {
      tenantData: true,
      why: 'product of one tenant',
      check: () => publicCatalogueGet(1),
    },
    'GET /api/v2/products/:id': {
      tenantData: true,
      why: 'product of one tenant',
      check: () => publicCatalogueGet(2),
    },
    'POST /api/v1/products': {
      tenantData: true,
      why: 'admin write into one tenant',
      check: () => adminWrite(1, (sku) => ({ name: `Cup ${sku}`, stock: 1 })),
    },
    'POST /api/v2/products': {
      tenantData: true,
      why: 'admin write into one tenant',
      check: () => adminWrite(2, pen),
    },
    'POST /api/v2/products/:id/stock-adjustments': {
      tenantData: true,
      why: 'admin write into one tenant',
      check: stockAdjustment,
    },
  },
  'notification-service': {
    'GET /api/v1/notifications': {
      tenantData: true,
      why: "private: the caller's tenant",
      check: notificationList,
    },
  },
  'order-service': {
    'POST /api/v1/orders': {
      tenantData: true,
      why: "an order in the caller's tenant, priced from that tenant's catalogue",
      check: placeOrder,
    },
    'GET /api/v1/orders/:id': { tenantData: true, why: "the caller's order", check: readOrder },
    'GET /api/v1/orders': { tenantData: true, why: "the caller's orders (read model)", check: listOrders },
    'GET /api/v1/admin/sagas': {
      tenantData: true,
      why: "operator route (admin): every tenant's saga instances",
      check: operatorOnly('order-service', 'GET', '/api/v1/admin/sagas'),
    },
    'GET /api/v1/admin/sagas/:id': {
      tenantData: true,
      why: 'operator route (admin): one saga instance',
      check: operatorOnly('order-service', 'GET', '/api/v1/admin/sagas/:id'),
    },
    'POST /api/v1/admin/sagas/:id/retry': {
      tenantData: true,
      why: 'operator action (admin)',
      check: operatorOnly('order-service', 'POST', '/api/v1/admin/sagas/:id/retry'),
    },
    'POST /api/v1/admin/sagas/:id/abort': {
      tenantData: true,
      why: 'operator action (admin)',
      check: operatorOnly('order-service', 'POST', '/api/v1/admin/sagas/:id/abort', {}),
    },
    'POST /api/v1/admin/sagas/:id/resume-compensation': {
      tenantData: true,
      why: 'operator action (admin)',
      check: operatorOnly('order-service', 'POST', '/api/v1/admin/sagas/:id/resume-compensation'),
    },
  },
  'payment-service': {
    'GET /api/v1/payments/:orderId': {
      tenantData: true,
      why: "the payment of the caller's order",
      check: readPayment,
    },
    'GET /api/v1/payments/provider': {
      tenantData: false,
      why: "the fake provider's state (admin)",
      check: operatorOnly('payment-service', 'GET', '/api/v1/payments/provider'),
    },
    'PUT /api/v1/payments/provider': {
      tenantData: false,
      why: "the fake provider's test switch (admin)",
      check: operatorOnly('payment-service', 'PUT', '/api/v1/payments/provider', { answering: true }),
    },
  },
  // Identities, not tenant data; what they say about tenants is checked.
  'auth-service': {
    'POST /api/v1/auth/register': {
      tenantData: false,
      why: 'creates an account; joining an existing tenant needs an admin',
      check: async () => {
        const password = `pw-${randomUUID()}`;
        for (const token of [undefined, tokens.alice]) {
          const res = await auth('POST', '/api/v1/auth/register', token, {
            email: `mallory-${randomUUID()}@tenants.test`,
            password,
            tenant: 'tenant-b',
          });
          expect(res.status).toBe(403);
          expect(res.body.error?.code).toBe('TENANT_EXISTS');
        }
      },
    },
    'POST /api/v1/auth/login': {
      tenantData: false,
      why: "issues the account's own tenant",
      check: async () => expect(decodeJwt(tokens.alice).tenant).toBe('tenant-a'),
    },
    'POST /api/v1/auth/refresh': {
      tenantData: false,
      why: "re-issues the account's own tenant",
      check: async () => {
        const res = await auth('POST', '/api/v1/auth/refresh', undefined, {
          refreshToken: tokens.aliceRefresh,
        });
        expect(res.status).toBe(200);
        expect(decodeJwt((res.body.data as { accessToken: string }).accessToken).tenant).toBe('tenant-a');
      },
    },
    'POST /api/v1/auth/logout': { tenantData: false, why: 'revokes the presented refresh token only' },
    'POST /api/v1/auth/token': {
      tenantData: false,
      why: 'service tokens carry no tenant (tenant routes answer them 403 TENANT_REQUIRED)',
      check: async () => expect(decodeJwt(tokens.service).tenant).toBeUndefined(),
    },
    'GET /api/v1/auth/me': {
      tenantData: false,
      why: "the caller's own principal",
      check: async () => {
        const me = await auth('GET', '/api/v1/auth/me', tokens.bob);
        expect(me.body.data).toMatchObject({ tenant: 'tenant-b' });
      },
    },
    'GET /.well-known/jwks.json': { tenantData: false, why: 'public signing keys' },
  },
  // The gateway holds no data: each prefix forwards to a service (whose routes are covered above).
  gateway: {
    '* /api/*/auth': { tenantData: false, why: 'forwards to auth-service' },
    '* /.well-known/jwks.json': { tenantData: false, why: "forwards to auth-service's public keys" },
    '* /api/*/products': {
      tenantData: true,
      why: 'forwards to inventory-service with the caller token',
      check: throughGatewayProducts,
    },
    '* /api/*/notifications': {
      tenantData: true,
      why: 'forwards to notification-service with the caller token',
      check: throughGatewayNotifications,
    },
    '* /api/*/orders': {
      tenantData: true,
      why: 'forwards to order-service with the caller token',
      check: throughGatewayOrders,
    },
    '* /api/*/payments': {
      tenantData: true,
      why: 'forwards to payment-service with the caller token',
      check: throughGatewayPayments,
    },
    '* /api/*/users': notInTheSystemYet('user-service'),
  },
};

const discovered = new Map<string, Set<string>>();

beforeAll(async () => {
  if (!hasPg) return;
  registryDir = mkdtempSync(join(tmpdir(), 'outrig-tenants-'));
  const bus = await createTestDatabase('tenants_bus');
  dbs.push(bus);
  BUS = bus.url;
  registry = createLocalRegistry({ dir: registryDir });
  const common = {
    LOG_LEVEL: 'silent',
    BUS_URL: BUS,
    REGISTRY_URL: `local:${registryDir}`,
    OUTBOX_PROCESSING_INTERVAL: '50',
    JWT_ISSUER: SHOP_ISSUER,
    JWT_AUDIENCE: SHOP_AUDIENCE,
  };
  const database = async (name: string) => {
    const db = await createTestDatabase(`tenants_${name.replace(/-service$/, '')}`);
    dbs.push(db);
    return db.url;
  };
  // auth-service first, on a real port: the others fetch its JWKS. Every service listens on a
  // real port and is in the registry, so that the gateway can forward to it.
  const authService = await FACTORIES['auth-service']!({
    ...common,
    DATABASE_URL: await database('auth-service'),
    SERVICE_PORT: '0',
    SHOP_ADMIN_EMAIL: ADMIN.email,
    SHOP_ADMIN_PASSWORD: ADMIN.password,
    AUTH_CLIENTS: `${CLIENT.id}:${CLIENT.secret}`,
    AUTH_CREDENTIALS_RATE_LIMIT: '1000',
  });
  running.set('auth-service', authService);
  authUrl = await authService.start({ signals: false });
  for (const spec of system) {
    if (running.has(spec.name) || !FACTORIES[spec.name]) continue;
    const service = await FACTORIES[spec.name]!({
      ...common,
      ...(!spec.database ? {} : { DATABASE_URL: await database(spec.name) }),
      JWT_JWKS_URL: `${authUrl}/.well-known/jwks.json`,
      SERVICE_PORT: '0',
    });
    running.set(spec.name, service);
    const url = await service.start({ signals: false });
    // Each service registers itself once listening (connectDiscovery): wait until it is listed.
    const registered = async () => (await registry!.list(spec.name)).some((i) => i.url === url);
    for (let i = 0; !isGateway(service) && !(await registered()); i++) {
      if (i > 200) throw new Error(`${spec.name} never appeared in the registry`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  for (const [name, service] of running) discovered.set(name, await routesOf(service));

  tokens.admin = (await login(ADMIN.email, ADMIN.password)).accessToken;
  const alice = await login('alice@tenants.test', await register('alice@tenants.test', 'tenant-a'));
  tokens.alice = alice.accessToken;
  tokens.aliceRefresh = alice.refreshToken;
  tokens.bob = (await login('bob@tenants.test', await register('bob@tenants.test', 'tenant-b'))).accessToken;
  const grant = await auth('POST', '/api/v1/auth/token', undefined, {
    grant_type: 'client_credentials',
    client_id: CLIENT.id,
    client_secret: CLIENT.secret,
  });
  tokens.service = (grant.body.data as { accessToken: string }).accessToken;

  products.a = await createProduct('/api/v2/products?tenant=tenant-a', pen('A-1'));
  products.aV1 = await createProduct('/api/v1/products?tenant=tenant-a', { name: 'Cup A', stock: 1 });
  products.b = await createProduct('/api/v2/products?tenant=tenant-b', pen('B-1'));
  products.d = await createProduct('/api/v2/products', pen('D-1'));
  await eventually('the four product.created notifications', async () => {
    const subjects = (await notifications(tokens.admin)).items.map((n) => n.subject);
    return Object.values(products).every((id) => subjects.includes(id)) ? true : undefined;
  });
}, 90_000);

afterAll(async () => {
  for (const service of [...running.values()].reverse()) await service.stop();
  await registry?.close();
  await Promise.all(dbs.map((db) => db.drop()));
  if (registryDir) rmSync(registryDir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!hasPg)('tenant isolation over every route of the reference system', () => {
  it('starts every service of outrig.json (a new service must be added here)', () => {
    const missing = system.map((s) => s.name).filter((name) => !FACTORIES[name]);
    expect(missing, 'services in outrig.json this test does not start: add them to FACTORIES').toEqual([]);
    expect([...running.keys()].sort()).toEqual(system.map((s) => s.name).sort());
  });

  it('covers every route: none is left unclassified, none listed here is gone', () => {
    const served = [...discovered].flatMap(([name, routes]) => [...routes].map((r) => `${name} ${r}`));
    const listed = Object.entries(COVERAGE).flatMap(([name, routes]) =>
      Object.keys(routes).map((r) => `${name} ${r}`),
    );
    const unclassified = served.filter((route) => !listed.includes(route));
    expect(unclassified, 'routes without tenant coverage: classify them in COVERAGE with checks').toEqual([]);
    const stale = listed.filter((route) => !served.includes(route));
    expect(stale, 'COVERAGE lists routes no service serves').toEqual([]);
  });

  it('every route that holds tenant data has checks', () => {
    const unchecked = Object.entries(COVERAGE).flatMap(([name, routes]) =>
      Object.entries(routes)
        .filter(([, c]) => c.tenantData && !c.check)
        .map(([route]) => `${name} ${route}`),
    );
    expect(unchecked).toEqual([]);
  });

  for (const [name, routes] of Object.entries(COVERAGE)) {
    for (const [route, { why, check }] of Object.entries(routes)) {
      if (check) it(`${name} ${route}: ${why}`, check);
    }
  }
});
