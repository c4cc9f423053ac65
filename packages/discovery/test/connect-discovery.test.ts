import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createService, type Service } from '@outrig/core';
import { type ConsulDouble, startConsulDouble } from '@outrig/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type ConnectDiscoveryOptions,
  connectDiscovery,
  discoveryConfig,
  resolveRegistry,
} from '../src/index.ts';
import { startTinyService } from './support/tiny-service-process.ts';
import { waitFor } from './support/wait-for.ts';

const home = await mkdtemp(path.join(tmpdir(), 'outrig-connect-discovery-'));
afterAll(() => rm(home, { recursive: true, force: true }));

const running: Service<unknown>[] = [];
const doubles: ConsulDouble[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(doubles.splice(0).map((d) => d.close()));
});

/** An in-process service with discovery configured from `env`, like a real one. */
async function buildService(env: Record<string, string>, extra: Partial<ConnectDiscoveryOptions> = {}) {
  const service = createService({
    name: 'orders-service',
    config: discoveryConfig,
    env: { SERVICE_PORT: '0', LOG_LEVEL: 'silent', OUTRIG_HOME: home, ...env },
  });
  service.version(
    1,
    (api) => {
      api.get('/slow', async () => {
        await new Promise((r) => setTimeout(r, 1500));
        return { done: true };
      });
    },
    { deprecated: '2026-01-01' },
  );
  service.version(2, (api) => {
    api.get('/orders', async () => []);
  });
  const { config } = service;
  const discovery = await connectDiscovery(service, {
    url: config.registryUrl,
    autoRegister: config.autoRegisterService,
    ttlSeconds: config.registryTtlS,
    advertiseHost: config.advertiseHost,
    advertiseUrl: config.advertiseUrl,
    home: config.outrigHome,
    ...extra,
  });
  running.push(service as Service<unknown>);
  return { service, discovery };
}

describe('connectDiscovery', () => {
  it('registers once listening, with its URL and API versions, and /ready includes the registry', async () => {
    const consul = await startConsulDouble();
    doubles.push(consul);
    const { service, discovery } = await buildService({
      REGISTRY_URL: consul.registryUrl,
      REGISTRY_TTL_S: '3',
    });
    const url = await service.start({ signals: false });
    const instance = await discovery.registered();
    expect(instance).toMatchObject({
      name: 'orders-service',
      url,
      meta: { versions: '1,2', latest: '2', deprecated: '1' },
    });
    // Consul's HTTP check calls the service's real /health.
    const observer = await resolveRegistry(consul.registryUrl);
    await waitFor('passing in Consul', async () => (await observer.list('orders-service')).length === 1);
    await observer.close();

    const ready = await service.app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().data.checks.registry).toBe('ok');
    await consul.close();
    doubles.length = 0;
    const notReady = await service.app.inject('/ready');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().error.details.checks.registry).toMatch(
      /^down: The consul registry is unavailable/,
    );
  });

  it('deregisters before draining: the entry is gone while an in-flight request still runs', async () => {
    const { service, discovery } = await buildService({ REGISTRY_URL: 'local:', REGISTRY_TTL_S: '60' });
    const url = await service.start({ signals: false });
    const me = await discovery.registered();
    const registry = await resolveRegistry('local:', { home });
    expect((await registry.list('orders-service')).map((i) => i.id)).toEqual([me?.id]);
    let answered = false;
    // One connection per request (`Connection: close`), so that draining ends with the response.
    const slow = new Promise<number | undefined>((resolve, reject) => {
      http
        .get(`${url}/api/v1/slow`, { agent: false }, (res) => {
          answered = true;
          res.resume();
          resolve(res.statusCode);
        })
        .on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 100)); // the request is in flight
    const stopped = service.stop();
    await waitFor('deregistered', async () => (await registry.list('orders-service')).length === 0, 1000);
    expect(answered).toBe(false);
    expect(await slow).toBe(200); // drained, not cut
    expect(await stopped).toBe(true);
    await registry.close();
  });

  it('is not ready until registered, and registers once the registry comes up', async () => {
    const probe = await startConsulDouble();
    const port = Number(new URL(probe.url).port);
    await probe.close(); // the port is free: nothing answers yet
    const { service, discovery } = await buildService({
      REGISTRY_URL: probe.registryUrl,
      REGISTRY_TTL_S: '3',
    });
    await service.start({ signals: false });
    const notReady = await service.app.inject('/ready');
    expect(notReady.statusCode).toBe(503);
    const consul = await startConsulDouble({ port });
    doubles.push(consul);
    const instance = await discovery.registered();
    expect(consul.services().map((s) => s.id)).toEqual([instance?.id]);
    await waitFor('ready', async () => (await service.app.inject('/ready')).statusCode === 200, 5000);
  });

  it('AUTO_REGISTER_SERVICE=false registers nothing; a read-only registry registers nothing either', async () => {
    const off = await buildService({ REGISTRY_URL: 'local:', AUTO_REGISTER_SERVICE: 'false' });
    await off.service.start({ signals: false });
    expect(await off.discovery.registered()).toBeUndefined();
    const registry = await resolveRegistry('local:', { home });
    expect(await registry.list('orders-service')).toEqual([]);
    expect((await off.service.app.inject('/ready')).statusCode).toBe(200);
    await registry.close();

    const fixed = await buildService({ REGISTRY_URL: 'static:orders-service=http://10.0.0.1:80' });
    await fixed.service.start({ signals: false });
    expect(await fixed.discovery.registered()).toBeUndefined();
    expect((await fixed.service.app.inject('/ready')).statusCode).toBe(200);
    expect(await fixed.discovery.registry.list('orders-service')).toHaveLength(1);
  });

  it('advertises SERVICE_ADVERTISE_URL instead of the listening address', async () => {
    const { service, discovery } = await buildService({
      REGISTRY_URL: 'local:',
      SERVICE_ADVERTISE_URL: 'https://orders.internal.example:8443',
    });
    await service.start({ signals: false });
    expect((await discovery.registered())?.url).toBe('https://orders.internal.example:8443');
  });

  it('a bad REGISTRY_URL stops the service at start with CONFIG_INVALID naming the variable (exit 78)', async () => {
    const child = startTinyService({ REGISTRY_URL: 'etcd://' });
    expect(await child.exited).toBe(78);
    expect(child.output()).toContain('Invalid configuration (CONFIG_INVALID)');
    expect(child.output()).toMatch(/REGISTRY_URL="etcd:\/\/" is invalid: expected local:, .*no etcd host/);
  });
});
