import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isOutrigError } from '@outrig/core/errors';
import { type ConsulDouble, startConsulDouble } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsulRegistry, type Registry, resolveRegistry } from '../src/index.ts';
import { describeRegistryBehaviour } from './support/describe-registry-behaviour.ts';
import { recordWatch, waitFor } from './support/wait-for.ts';

// No Consul server can run here: these tests use @outrig/testing's double of the agent HTTP API.
let consul: ConsulDouble;
let healthServer: http.Server;
let healthBase: string;
/** Status `/health/<key>` answers; absent keys answer 200. */
const healthStatus = new Map<string, number>();

beforeAll(async () => {
  consul = await startConsulDouble({ reapIntervalMs: 200, minDeregisterAfterMs: 0 });
  healthServer = http.createServer((req, res) => {
    const key = (req.url ?? '').replace(/^\/health\/?/, '');
    res.writeHead(healthStatus.get(key) ?? 200).end('ok');
  });
  await new Promise<void>((r) => healthServer.listen(0, '127.0.0.1', r));
  healthBase = `http://127.0.0.1:${(healthServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await consul?.close();
  healthServer?.closeAllConnections();
  await new Promise((r) => healthServer?.close(r));
});

describeRegistryBehaviour('consul (API double)', {
  // TTL 3 s: Consul checks /health every second.
  create: () => resolveRegistry(`${consul.registryUrl}?wait=5s`, { ttlSeconds: 3 }),
  instanceUrl: () => healthBase,
});

describe('consul registry against the agent API double', () => {
  let registry: Registry;
  let observer: Registry;

  beforeAll(async () => {
    registry = await resolveRegistry(`${consul.registryUrl}?deregister_critical_after=1s&wait=5s`, {
      ttlSeconds: 3,
    });
    observer = await resolveRegistry(`${consul.registryUrl}?wait=5s`);
  });
  afterAll(async () => {
    await registry?.close();
    await observer?.close();
  });

  it('registers with an HTTP check on the health URL, the metadata and DeregisterCriticalServiceAfter', async () => {
    const reg = await registry.register({
      name: 'checked',
      url: healthBase,
      meta: { versions: '1,2', latest: '2' },
      healthUrl: `${healthBase}/health/checked`,
    });
    const agent = (await (await fetch(`${consul.url}/v1/agent/checks`)).json()) as Record<
      string,
      { ServiceID: string; Status: string }
    >;
    expect(Object.values(agent).some((c) => c.ServiceID === reg.instance.id)).toBe(true);
    const stored = consul.services().find((s) => s.id === reg.instance.id);
    expect(stored).toMatchObject({
      name: 'checked',
      address: '127.0.0.1',
      meta: { versions: '1,2', latest: '2' },
    });
    await waitFor('passing', async () => (await observer.list('checked')).length === 1);
    await reg.deregister();
    expect(consul.services().some((s) => s.id === reg.instance.id)).toBe(false);
  });

  it('a failing check leaves the passing list, and Consul deregisters it after the critical timeout', async () => {
    const w = recordWatch();
    const stop = observer.watch('failing', w.onChange);
    const reg = await registry.register({
      name: 'failing',
      url: healthBase,
      healthUrl: `${healthBase}/health/failing`,
    });
    await waitFor('passing and watched', () => w.calls.at(-1)?.join() === reg.instance.id);
    healthStatus.set('failing', 500);
    await waitFor('not passing in the watch', () => w.calls.at(-1)?.length === 0, 5000);
    expect(await observer.list('failing')).toEqual([]);
    expect(consul.services().find((s) => s.id === reg.instance.id)?.status).toBe('critical');
    await waitFor(
      'reaped by the agent',
      () => !consul.services().some((s) => s.id === reg.instance.id),
      5000,
    );
    stop();
    // The watch is a blocking query: it passes the last X-Consul-Index and a wait.
    expect(
      consul
        .requests()
        .some((r) => /^GET \/v1\/health\/service\/failing\?passing&index=\d+&wait=5s$/.test(r)),
    ).toBe(true);
    await reg.deregister(); // the agent forgot it already: still resolves
    healthStatus.delete('failing');
  });

  it('registers again when the agent lost the service (resync)', async () => {
    const r = createConsulRegistry({ url: consul.url, ttlSeconds: 3, resyncMs: 200 });
    const reg = await r.register({ name: 'resynced', url: healthBase });
    await fetch(`${consul.url}/v1/agent/service/deregister/${reg.instance.id}`, { method: 'PUT' });
    expect(consul.services().some((s) => s.id === reg.instance.id)).toBe(false);
    await waitFor('registered again', () => consul.services().some((s) => s.id === reg.instance.id), 3000);
    await r.close();
    expect(consul.services().some((s) => s.id === reg.instance.id)).toBe(false);
  });

  it('sends the ACL token, and reports a refused one as REGISTRY_UNAVAILABLE', async () => {
    const guarded = await startConsulDouble({ token: 'secret' });
    try {
      const without = await resolveRegistry(guarded.registryUrl);
      const err = await without.register({ name: 'guarded', url: healthBase }).catch((e: unknown) => e);
      expect(isOutrigError(err, 'REGISTRY_UNAVAILABLE')).toBe(true);
      expect((err as Error).message).toContain('403');
      const withToken = await resolveRegistry(`${guarded.registryUrl}?token=secret`);
      await withToken.register({ name: 'guarded', url: healthBase });
      expect(guarded.services().map((s) => s.name)).toEqual(['guarded']);
      await withToken.close();
      await without.close();
    } finally {
      await guarded.close();
    }
  });

  it('check() fails without a cluster leader or an agent', async () => {
    const other = await startConsulDouble();
    const r = await resolveRegistry(other.registryUrl);
    await r.check();
    other.setLeader(false);
    expect(isOutrigError(await r.check().catch((e: unknown) => e), 'REGISTRY_UNAVAILABLE')).toBe(true);
    other.setLeader(true);
    await other.close();
    expect(isOutrigError(await r.check().catch((e: unknown) => e), 'REGISTRY_UNAVAILABLE')).toBe(true);
    await r.close();
  });
});
