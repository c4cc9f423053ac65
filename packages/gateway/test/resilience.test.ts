import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayRoute } from '../src/index.ts';
import {
  freePort,
  json,
  kill,
  spawnUpstream,
  startGateway,
  startUpstream,
  type TestUpstream,
  tempRegistry,
} from './helpers.ts';

let registry: Awaited<ReturnType<typeof tempRegistry>>;
const started: { stop(): Promise<unknown> }[] = [];

beforeAll(async () => {
  registry = await tempRegistry();
});

afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
  await registry?.close();
});

async function gatewayFor(service: string, env: Record<string, string>, route: Partial<GatewayRoute> = {}) {
  const g = await startGateway([{ path: '/api/*/products', service, ...route }], registry.registry, env);
  started.push(g.gateway);
  await g.gateway.upstream(service)!.waitForInstances(5000);
  return g;
}

async function upstream(name: string, tag: string, failFlaky = false): Promise<TestUpstream> {
  const u = await startUpstream(name, { resource: 'products', tag, failFlaky });
  started.push(u);
  await registry.register(name, u);
  return u;
}

const metric = async (url: string, pattern: RegExp) => {
  const m = pattern.exec(await (await fetch(`${url}/metrics`)).text());
  return m ? Number(m[1]) : 0;
};

describe('circuit breaker per upstream', () => {
  it('an upstream killed mid-test answers 503 in the envelope, then fails fast; it recovers when it returns', async () => {
    const port = await freePort();
    let child = (await spawnUpstream(port)).child;
    await registry.registerUrl('killed-service', `http://127.0.0.1:${port}`);
    const { url } = await gatewayFor('killed-service', {
      CIRCUIT_BREAKER_FAILURE_THRESHOLD: '3',
      CIRCUIT_BREAKER_RECOVERY_TIMEOUT: '300',
      CLIENT_RETRIES: '0',
    });
    try {
      expect((await fetch(`${url}/api/v2/products/1`)).status).toBe(200);
      await kill(child);

      const codes: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${url}/api/v2/products/1`);
        expect(res.status).toBe(503);
        const body = await json(res);
        codes.push(body.error.code);
        if (body.error.code === 'CIRCUIT_OPEN')
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect(codes).toEqual([
        'UPSTREAM_UNAVAILABLE',
        'UPSTREAM_UNAVAILABLE',
        'UPSTREAM_UNAVAILABLE',
        'CIRCUIT_OPEN',
        'CIRCUIT_OPEN',
      ]);
      // While open, requests never reach for the dead upstream.
      const failures =
        /gateway_upstream_failures_total\{upstream="killed-service",reason="connect"[^}]*\} (\d+)/;
      expect(await metric(url, failures)).toBe(3);
      expect(
        await metric(url, /gateway_upstream_circuit_state\{upstream="killed-service"[^}]*\} (\d+)/),
      ).toBe(2);

      child = (await spawnUpstream(port)).child;
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        await sleep(100);
        status = (await fetch(`${url}/api/v2/products/1`)).status;
      }
      expect(status).toBe(200);
      expect(
        await metric(url, /gateway_upstream_circuit_state\{upstream="killed-service"[^}]*\} (\d+)/),
      ).toBe(0);
    } finally {
      await kill(child);
    }
  });
});

describe('retries only what is safe to repeat', () => {
  let a: TestUpstream;
  let b: TestUpstream;
  let url: string;

  beforeAll(async () => {
    a = await upstream('retry-service', 'a', true);
    b = await upstream('retry-service', 'b', false);
    ({ url } = await gatewayFor('retry-service', { CLIENT_OUTLIER_FAILURES: '100' }));
  });

  it('a GET that got 503 from one instance is retried on the other', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${url}/api/v2/products/flaky`);
      expect(res.status).toBe(200);
      expect((await json(res)).data.tag).toBe('b');
    }
    expect(a.hits.count('GET /api/v2/products/flaky')).toBeGreaterThan(0);
    expect(b.hits.count('GET /api/v2/products/flaky')).toBe(4);
    expect(await metric(url, /gateway_upstream_retries_total\{upstream="retry-service"[^}]*\} (\d+)/)).toBe(
      a.hits.count('GET /api/v2/products/flaky'),
    );
  });

  it('a POST is never retried: each POST reaches exactly one instance', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${url}/api/v2/products/flaky`, { method: 'POST' });
      statuses.push(res.status);
    }
    const onA = a.hits.count('POST /api/v2/products/flaky');
    const onB = b.hits.count('POST /api/v2/products/flaky');
    expect(onA + onB).toBe(4);
    expect(onA).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 503)).toHaveLength(onA);
  });

  it('a POST with an Idempotency-Key is retried', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/api/v2/products/flaky`, {
        method: 'POST',
        headers: { 'idempotency-key': `key-${i}` },
      });
      expect(res.status).toBe(200);
    }
  });

  it('a request to an instance that refuses connections is retried on a live one', async () => {
    const port = await freePort(); // nothing listens there
    await registry.registerUrl('half-dead-service', `http://127.0.0.1:${port}`);
    const live = await upstream('half-dead-service', 'live');
    const { url: gw } = await gatewayFor('half-dead-service', {});
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${gw}/api/v2/products/1`);
      expect(res.status).toBe(200);
    }
    expect(live.hits.count('GET /api/v2/products/1')).toBe(4);
    // A refused connection means the request never left the gateway: even a POST goes elsewhere.
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${gw}/api/v2/products`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `x${i}` }),
      });
      expect(res.status).toBe(201);
    }
    expect(live.hits.count('POST /api/v2/products')).toBe(4);
  });
});

describe('timeouts', () => {
  it('an upstream slower than the route timeout answers 503 UPSTREAM_TIMEOUT', async () => {
    await upstream('slow-service', 'slow');
    const { url } = await gatewayFor('slow-service', {}, { timeoutMs: 200, retries: 0 });
    const res = await fetch(`${url}/api/v2/products/slow`);
    expect(res.status).toBe(503);
    expect((await json(res)).error).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });
});
