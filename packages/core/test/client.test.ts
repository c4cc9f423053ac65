import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  createService,
  defineClientRoutes,
  type InstanceSource,
  isOutrigError,
  OutrigError,
  type Service,
  type ServiceInstanceRef,
  Type,
} from '../src/index.ts';
import { answer, startUpstream, type Upstream } from './client-upstream.ts';

const silent = new Writable({ write: (_c, _e, cb) => cb() });
const services: Service[] = [];
const upstreams: Upstream[] = [];

/** A calling service whose config points `inventory-service` at the given upstreams. */
function caller(urls: string[], env: Record<string, string> = {}): Service {
  const service = createService({
    name: 'caller-service',
    env: {
      INVENTORY_SERVICE_URL: urls.join(','),
      CLIENT_RETRY_DELAY_MS: '1',
      CLIENT_RETRY_MAX_DELAY_MS: '5',
      ...env,
    },
    logStream: silent,
  });
  services.push(service);
  return service;
}

async function upstream(): Promise<Upstream> {
  const u = await startUpstream();
  upstreams.push(u);
  return u;
}

/** The rejection of `promise`, which must reject with an OutrigError. */
async function failure(promise: Promise<unknown>): Promise<OutrigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isOutrigError(err)) throw new Error(`expected an OutrigError, got ${String(err)}`);
  return err;
}

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});

describe('service client: calls and errors', () => {
  it('GET resolves with data of the envelope; request() also gives status and metadata', async () => {
    const up = await upstream();
    up.behave(answer.data({ id: '7', name: 'Pen' }));
    const client = caller([up.url]).client('inventory-service');
    expect(await client.get('/api/v2/products/:id', { params: { id: '7' }, query: { full: true } })).toEqual({
      id: '7',
      name: 'Pen',
    });
    expect(up.hits[0]?.url).toBe('/api/v2/products/7?full=true');
    const res = await client.request('GET', '/api/v2/products/8');
    expect(res.status).toBe(200);
    expect(res.metadata?.version).toBe('v1');
  });

  it('sends a JSON body and encodes path params', async () => {
    const up = await upstream();
    up.behave(answer.data({ id: 'a/b' }, 201));
    const client = caller([up.url]).client('inventory-service');
    await client.post('/api/v2/things/:id/parts', { params: { id: 'a/b' }, body: { qty: 2 } });
    expect(up.hits[0]?.url).toBe('/api/v2/things/a%2Fb/parts');
    expect(up.hits[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(up.hits[0]?.body ?? '')).toEqual({ qty: 2 });
  });

  it("returns the callee's error envelope as an OutrigError with its code, status and details; 4xx is not retried", async () => {
    const up = await upstream();
    up.behave(answer.error(404, 'PRODUCT_NOT_FOUND', { id: '9' }));
    const client = caller([up.url]).client('inventory-service');
    const err = await failure(client.get('/api/v2/products/9'));
    expect(err.code).toBe('PRODUCT_NOT_FOUND');
    expect(err.status).toBe(404);
    expect(err.details).toEqual({ id: '9' });
    expect(err.message).toBe('PRODUCT_NOT_FOUND from upstream');
    expect(up.hits).toHaveLength(1);
  });

  it("a route that rethrows the callee's error answers with the callee's code and status", async () => {
    const up = await upstream();
    up.behave(answer.error(409, 'STOCK_CONFLICT', { sku: 'PEN-1' }));
    const service = caller([up.url]);
    const inventory = service.client('inventory-service');
    service.version(1, (api) => {
      api.post('/orders', async (request) => inventory.forRequest(request).post('/api/v1/reservations'));
    });
    const res = await service.app.inject({ method: 'POST', url: '/api/v1/orders' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: { code: 'STOCK_CONFLICT', message: 'STOCK_CONFLICT from upstream', details: { sku: 'PEN-1' } },
    });
  });

  it('maps a body that is not the envelope to 502 UPSTREAM_BAD_RESPONSE', async () => {
    const up = await upstream();
    up.behave(answer.text(200, '<html>hello</html>'));
    const client = caller([up.url]).client('inventory-service');
    const err = await failure(client.get('/api/v2/products'));
    expect(err.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(err.status).toBe(502);
    expect(err.details).toEqual({ target: 'inventory-service', status: 200 });
  });

  it('envelope: false returns the body as is', async () => {
    const up = await upstream();
    up.behave((_hit, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [1] }));
    });
    const client = caller([up.url]).client('inventory-service');
    expect(await client.get('/.well-known/jwks.json', { envelope: false })).toEqual({ keys: [1] });
  });

  it('names the variable to set when a target cannot be resolved (SERVICE_UNRESOLVED)', async () => {
    const service = createService({ name: 'caller-service', env: {}, logStream: silent });
    services.push(service);
    const err = await failure(service.client('payment-service').get('/api/v1/payments'));
    expect(err.code).toBe('SERVICE_UNRESOLVED');
    expect(err.message).toContain('PAYMENT_SERVICE_URL');
    expect(err.details).toEqual({ target: 'payment-service', variable: 'PAYMENT_SERVICE_URL' });
  });

  it('rejects bad options when the client is created, and a missing :param when calling', async () => {
    const up = await upstream();
    const service = caller([up.url]);
    expect(() => service.client('inventory-service', { timeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: 'CLIENT_OPTIONS_INVALID' }),
    );
    expect(() => service.client('')).toThrow(expect.objectContaining({ code: 'CLIENT_OPTIONS_INVALID' }));
    const err = await failure(service.client('inventory-service').get('/api/v2/products/:id'));
    expect(err.code).toBe('CLIENT_REQUEST_INVALID');
    expect(up.hits).toHaveLength(0);
  });
});

describe('service client: retries', () => {
  it('never retries a POST without an idempotency key (503, dropped connection, timeout)', async () => {
    const up = await upstream();
    const client = caller([up.url], { CLIENT_RETRIES: '3' }).client('inventory-service');

    up.behave(answer.error(503, 'NOT_READY'));
    expect((await failure(client.post('/api/v1/orders', { body: { n: 1 } }))).code).toBe('NOT_READY');
    expect(up.hits).toHaveLength(1);

    up.behave(answer.drop());
    expect((await failure(client.post('/api/v1/orders', { body: { n: 2 } }))).code).toBe(
      'UPSTREAM_UNAVAILABLE',
    );
    expect(up.hits).toHaveLength(2);

    up.behave(answer.hang());
    const err = await failure(client.post('/api/v1/orders', { body: { n: 3 }, timeoutMs: 150 }));
    expect(err.code).toBe('UPSTREAM_TIMEOUT');
    expect(up.hits).toHaveLength(3);
  });

  it('retries a POST that carries an idempotency key, with the key on every attempt', async () => {
    const up = await upstream();
    up.behave(answer.error(503, 'NOT_READY'));
    const client = caller([up.url], { CLIENT_RETRIES: '2' }).client('inventory-service');
    const err = await failure(client.post('/api/v1/orders', { body: { n: 1 }, idempotencyKey: 'order-42' }));
    expect(err.code).toBe('NOT_READY');
    expect(up.hits).toHaveLength(3);
    expect(up.hits.map((h) => h.headers['idempotency-key'])).toEqual(['order-42', 'order-42', 'order-42']);
  });

  it('retries a GET up to CLIENT_RETRIES, then fails with a coded error', async () => {
    const up = await upstream();
    up.behave(answer.drop());
    const client = caller([up.url], { CLIENT_RETRIES: '2', CIRCUIT_BREAKER_ENABLED: 'false' }).client(
      'inventory-service',
    );
    const err = await failure(client.get('/api/v1/products'));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(up.hits).toHaveLength(3);

    up.behave(answer.error(504, 'GATEWAY_SLOW'));
    expect((await failure(client.get('/api/v1/products', { retries: 4 }))).code).toBe('GATEWAY_SLOW');
    expect(up.hits).toHaveLength(3 + 5);
  });

  it('a GET that fails then succeeds resolves with the data', async () => {
    const up = await upstream();
    let n = 0;
    up.behave((hit, res) =>
      ++n < 3 ? answer.error(503, 'NOT_READY')(hit, res) : answer.data({ n })(hit, res),
    );
    const client = caller([up.url]).client('inventory-service');
    expect(await client.get('/api/v1/products')).toEqual({ n: 3 });
  });

  it('does not retry a 500 or a 4xx, even for GET', async () => {
    const up = await upstream();
    const client = caller([up.url]).client('inventory-service');
    up.behave(answer.error(500, 'INTERNAL_ERROR'));
    expect((await failure(client.get('/api/v1/products'))).status).toBe(500);
    up.behave(answer.error(429, 'RATE_LIMITED'));
    const limited = await failure(client.get('/api/v1/products'));
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.retryable).toBe(true);
    expect(up.hits).toHaveLength(2);
  });

  it('honours the timeout of a hanging upstream, and retries a timed-out GET', async () => {
    const up = await upstream();
    up.behave(answer.hang());
    const client = caller([up.url], { CLIENT_TIMEOUT_MS: '100', CLIENT_RETRIES: '1' }).client(
      'inventory-service',
    );
    const err = await failure(client.get('/api/v1/products'));
    expect(err.code).toBe('UPSTREAM_TIMEOUT');
    expect(err.status).toBe(503);
    expect(err.details).toMatchObject({ target: 'inventory-service', timeoutMs: 100 });
    expect(up.hits).toHaveLength(2);
  });
});

describe('service client: circuit breaker', () => {
  it('opens after the threshold, fails fast without calling, half-opens after the recovery timeout, closes on success', async () => {
    const up = await upstream();
    up.behave(answer.error(503, 'NOT_READY'));
    const service = caller([up.url], {
      CIRCUIT_BREAKER_FAILURE_THRESHOLD: '3',
      CIRCUIT_BREAKER_RECOVERY_TIMEOUT: '300',
      CLIENT_RETRIES: '0',
    });
    const client = service.client('inventory-service');
    for (let i = 0; i < 3; i++)
      expect((await failure(client.get('/api/v1/products'))).code).toBe('NOT_READY');
    expect(client.circuitState).toBe('open');

    const open = await failure(client.get('/api/v1/products'));
    expect(open.code).toBe('CIRCUIT_OPEN');
    expect(open.status).toBe(503);
    expect(up.hits).toHaveLength(3);
    expect(await service.metrics.render()).toContain(
      'client_circuit_state{target="inventory-service",service="caller-service"} 2',
    );

    await new Promise((resolve) => setTimeout(resolve, 350));
    let stateDuringTrial = '';
    up.behave((hit, res) => {
      stateDuringTrial = client.circuitState;
      answer.data({ ok: true })(hit, res);
    });
    expect(await client.get('/api/v1/products')).toEqual({ ok: true });
    expect(stateDuringTrial).toBe('half-open');
    expect(client.circuitState).toBe('closed');
    expect(await service.metrics.render()).toContain(
      'client_circuit_state{target="inventory-service",service="caller-service"} 0',
    );
  });

  it('a failed trial opens the circuit again; calls during a trial fail fast', async () => {
    const up = await upstream();
    up.behave(answer.drop());
    const client = caller([up.url], {
      CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2',
      CIRCUIT_BREAKER_RECOVERY_TIMEOUT: '200',
      CLIENT_RETRIES: '0',
    }).client('inventory-service');
    await failure(client.get('/a'));
    await failure(client.get('/a'));
    expect(client.circuitState).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, 250));

    let release: () => void = () => {};
    up.behave(
      (_hit, res) =>
        new Promise<void>((resolve) => {
          release = () => {
            res.socket?.destroy();
            resolve();
          };
        }),
    );
    const trial = failure(client.get('/a'));
    await vi.waitFor(() => expect(up.hits).toHaveLength(3));
    expect((await failure(client.get('/a'))).code).toBe('CIRCUIT_OPEN');
    release();
    expect((await trial).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(client.circuitState).toBe('open');
    expect(up.hits).toHaveLength(3);
  });

  it("stops retrying once the call's own failures opened the circuit, and reports the real failure", async () => {
    const up = await upstream();
    up.behave(answer.error(503, 'NOT_READY'));
    const client = caller([up.url], { CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2', CLIENT_RETRIES: '5' }).client(
      'inventory-service',
    );
    expect((await failure(client.get('/x'))).code).toBe('NOT_READY');
    expect(up.hits).toHaveLength(2);
    expect(client.circuitState).toBe('open');
  });

  it('rejects bad breaker settings at start (CONFIG_INVALID names the variable)', () => {
    expect(() => caller([], { CIRCUIT_BREAKER_FAILURE_THRESHOLD: '0' })).toThrow(
      /CIRCUIT_BREAKER_FAILURE_THRESHOLD/,
    );
  });

  it('is shared by every client of a target, and 4xx answers do not count', async () => {
    const up = await upstream();
    up.behave(answer.error(404, 'PRODUCT_NOT_FOUND'));
    const service = caller([up.url], { CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2', CLIENT_RETRIES: '0' });
    const a = service.client('inventory-service');
    const b = service.client('inventory-service');
    for (let i = 0; i < 4; i++) await failure(a.get('/x'));
    expect(a.circuitState).toBe('closed');
    up.behave(answer.error(500, 'INTERNAL_ERROR'));
    await failure(a.get('/x'));
    await failure(b.get('/x'));
    expect(a.circuitState).toBe('open');
    expect((await failure(b.get('/x'))).code).toBe('CIRCUIT_OPEN');
  });
});

describe('service client: instances', () => {
  it('round robin across two upstreams', async () => {
    const [a, b] = [await upstream(), await upstream()];
    const client = caller([a.url, b.url]).client('inventory-service');
    for (let i = 0; i < 6; i++) await client.get('/api/v1/products');
    expect(a.hits).toHaveLength(3);
    expect(b.hits).toHaveLength(3);
  });

  it('skips an upstream that died: its calls retry on the other, then it is ejected', async () => {
    const [a, b] = [await upstream(), await upstream()];
    const service = caller([a.url, b.url], {
      CLIENT_OUTLIER_FAILURES: '2',
      CIRCUIT_BREAKER_FAILURE_THRESHOLD: '10',
    });
    const client = service.client('inventory-service');
    await client.get('/warm');
    await client.get('/warm');
    await a.close();
    // GET and POST alike: a refused connection sent nothing, so the call moves to the other instance.
    for (let i = 0; i < 4; i++) expect(await client.get('/api/v1/products')).toEqual({ ok: true });
    expect(await client.post('/api/v1/orders', { body: {} })).toEqual({ ok: true });
    // Ejected now: calls without retries never reach the dead instance.
    for (let i = 0; i < 4; i++)
      expect(await client.get('/api/v1/products', { retries: 0 })).toEqual({ ok: true });
    expect(b.hits.length).toBe(1 + 4 + 1 + 4);
    const metrics = await service.metrics.render();
    expect(metrics).toMatch(
      /client_retries_total\{target="inventory-service",service="caller-service"\} [1-9]/,
    );
  });

  it('resolves through useInstances(source) and follows its watch', async () => {
    const [a, b] = [await upstream(), await upstream()];
    let push: (instances: ServiceInstanceRef[]) => void = () => {};
    let lists = 0;
    let unwatched = false;
    const source: InstanceSource = {
      async list() {
        lists++;
        return [{ id: 'a', url: a.url }];
      },
      watch(_name, onChange) {
        push = onChange;
        return () => {
          unwatched = true;
        };
      },
    };
    const service = caller([]).useInstances(source);
    const client = service.client('inventory-service');
    await client.get('/x');
    await client.get('/x');
    expect(a.hits).toHaveLength(2);
    push([{ id: 'b', url: `${b.url}/` }]);
    await client.get('/x');
    expect(b.hits.map((h) => h.url)).toEqual(['/x']);
    expect(lists).toBe(1);
    await service.stop();
    expect(unwatched).toBe(true);
  });

  it('answers SERVICE_NO_INSTANCES when the source lists none', async () => {
    const service = caller([]).useInstances({ list: async () => [] });
    const err = await failure(service.client('inventory-service').get('/x'));
    expect(err.code).toBe('SERVICE_NO_INSTANCES');
    expect(err.status).toBe(503);
  });

  it('keeps connections alive between calls and closes them when the service stops', async () => {
    const up = await upstream();
    const service = caller([up.url]);
    const client = service.client('inventory-service');
    for (let i = 0; i < 10; i++) await client.get('/x');
    // Keep-alive: a few pooled connections serve all calls (undici may open a second one while the
    // first is still finishing its previous response).
    expect(up.opened).toBeLessThanOrEqual(2);
    expect(up.connections).toBe(up.opened);
    await service.stop();
    await vi.waitFor(() => expect(up.connections).toBe(0));
    expect((await failure(client.get('/x'))).code).toBe('SHUTTING_DOWN');
  });
});

describe('service client: propagation and metrics', () => {
  let up: Upstream;
  beforeAll(async () => {
    up = await startUpstream();
  });
  afterAll(() => up.close());

  it("forwards the caller's request id and bearer token from a route", async () => {
    const service = caller([up.url]);
    const inventory = service.client('inventory-service');
    service.app.addHook('onRequest', async (request) => {
      // What authentication does: a principal carrying the raw token.
      const principal = { subject: 'u1', roles: [], scopes: [], token: 'user-token', claims: {} };
      (request as unknown as { principal: typeof principal }).principal = principal;
    });
    service.version(1, (api) => {
      api.get('/check', async (request) => inventory.forRequest(request).get('/api/v1/stock'));
    });
    const res = await service.app.inject({ url: '/api/v1/check', headers: { 'x-request-id': 'req-abc' } });
    expect(res.statusCode).toBe(200);
    const hit = up.hits.at(-1)!;
    expect(hit.headers['x-request-id']).toBe('req-abc');
    expect(hit.headers.authorization).toBe('Bearer user-token');
  });

  it('uses the service token when the caller has none; an explicit token wins', async () => {
    const service = caller([up.url]);
    const client = service.client('inventory-service', { token: async () => 'service-token' });
    await client.get('/a', { request: { id: 'r1' } });
    expect(up.hits.at(-1)?.headers.authorization).toBe('Bearer service-token');
    await client.get('/a', { request: { id: 'r2', principal: { token: 'user-token' } }, token: 'explicit' });
    expect(up.hits.at(-1)?.headers.authorization).toBe('Bearer explicit');
    await caller([up.url]).client('inventory-service').get('/a');
    expect(up.hits.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('exports request, retry, duration and circuit metrics on service.metrics', async () => {
    const service = caller([up.url]);
    const client = service.client('inventory-service');
    up.behave(answer.data({ ok: true }));
    await client.get('/a');
    up.behave(answer.error(404, 'PRODUCT_NOT_FOUND'));
    await failure(client.get('/a'));
    up.behave(answer.data({ ok: true }));
    const text = await service.metrics.render();
    const labels = 'service="caller-service"';
    expect(text).toContain(
      `client_requests_total{target="inventory-service",method="GET",outcome="success",${labels}} 1`,
    );
    expect(text).toContain(
      `client_requests_total{target="inventory-service",method="GET",outcome="client_error",${labels}} 1`,
    );
    expect(text).toMatch(/client_request_duration_seconds_count\{[^}]*target="inventory-service"[^}]*\} 2\n/);
    expect(text).toContain(`client_circuit_state{target="inventory-service",${labels}} 0`);
    expect(text).toContain('# TYPE client_retries_total counter');
  });
});

describe('service client: typed routes', () => {
  const Product = Type.Object({ id: Type.String(), name: Type.String(), stock: Type.Integer() });
  const routes = defineClientRoutes({
    'GET /api/v2/products/:id': { params: Type.Object({ id: Type.String() }), response: Product },
    'POST /api/v2/products': {
      body: Type.Object({ name: Type.String(), stock: Type.Integer() }),
      response: Product,
    },
    'DELETE /api/v2/products/:id': {},
  });

  it('types paths, params, bodies and data from the route map', async () => {
    const up = await upstream();
    up.behave(answer.data({ id: '1', name: 'Pen', stock: 3 }));
    const client = caller([up.url]).client('inventory-service', { routes });
    const product = await client.get('/api/v2/products/:id', { params: { id: '1' } });
    expectTypeOf(product).toEqualTypeOf<{ id: string; name: string; stock: number }>();
    expect(product.stock).toBe(3);
    const created = await client.post('/api/v2/products', { body: { name: 'Pen', stock: 3 } });
    expectTypeOf(created.name).toBeString();
    await client.delete('/api/v2/products/:id', { params: { id: 1 } });
    expect(up.hits.map((h) => `${h.method} ${h.url}`)).toEqual([
      'GET /api/v2/products/1',
      'POST /api/v2/products',
      'DELETE /api/v2/products/1',
    ]);
    // Compile-time checks only (`npm run typecheck`): never called.
    const _typeErrors = () => {
      // @ts-expect-error: not a declared GET route
      void client.get('/api/v2/orders');
      // @ts-expect-error: params are required
      void client.get('/api/v2/products/:id');
      // @ts-expect-error: body does not match the schema
      void client.post('/api/v2/products', { body: { name: 1, stock: 3 } });
    };
    expect(typeof _typeErrors).toBe('function');
  });

  it('rejects a malformed route key', () => {
    expect(() => defineClientRoutes({ 'FETCH /x': {} } as never)).toThrow(
      expect.objectContaining({ code: 'CLIENT_OPTIONS_INVALID' }),
    );
    expect(() => caller([]).client('inventory-service', { routes: { 'GET x': {} } as never })).toThrow(
      OutrigError,
    );
  });
});
