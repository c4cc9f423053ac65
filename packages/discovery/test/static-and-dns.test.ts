import { isOutrigError } from '@outrig/core/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDnsRegistry, createStaticRegistry, resolveRegistry } from '../src/index.ts';
import { startDnsServer, type ZoneEntry } from './support/dns-server.ts';
import { recordWatch, waitFor } from './support/wait-for.ts';

describe('static: registry', () => {
  it('lists the fixed instances per service, in order, and nothing for others', async () => {
    const registry = await resolveRegistry(
      'static:inventory-service=http://10.0.0.7:8004,http://10.0.0.8:8004;orders=https://orders.example.com',
    );
    expect(registry.kind).toBe('static');
    expect(await registry.list('inventory-service')).toEqual([
      { id: 'inventory-service-1', name: 'inventory-service', url: 'http://10.0.0.7:8004', meta: {} },
      { id: 'inventory-service-2', name: 'inventory-service', url: 'http://10.0.0.8:8004', meta: {} },
    ]);
    expect((await registry.list('orders')).map((i) => i.url)).toEqual(['https://orders.example.com']);
    expect(await registry.list('unknown')).toEqual([]);
    await registry.check();
  });

  it('is read-only, and its watch reports the list once', async () => {
    const registry = createStaticRegistry({ a: ['http://127.0.0.1:1'] });
    expect(registry.capabilities.register).toBe(false);
    const err = await registry.register({ name: 'a', url: 'http://127.0.0.1:2' }).catch((e: unknown) => e);
    expect(isOutrigError(err, 'REGISTRY_READ_ONLY')).toBe(true);
    const w = recordWatch();
    registry.watch('a', w.onChange);
    expect(w.calls).toEqual([]); // never synchronously
    await waitFor('the list', () => w.calls.length === 1);
    expect(w.calls).toEqual([['a-1']]);
  });

  it('refuses malformed lists naming the problem', async () => {
    for (const url of ['static:', 'static:inventory', 'static:inv=ftp://x', 'static:bad name=http://x:1']) {
      const err = await resolveRegistry(url).catch((e: unknown) => e);
      expect(isOutrigError(err, 'REGISTRY_URL_INVALID'), url).toBe(true);
    }
  });
});

describe('dns: registry (Kubernetes headless services) against a UDP DNS server', () => {
  const zone = new Map<string, ZoneEntry>();
  let dns: { server: string; close(): Promise<void> };

  beforeAll(async () => {
    dns = await startDnsServer(zone);
    zone.set('inventory-service.shop.svc.cluster.local', { A: ['10.1.0.11', '10.1.0.12'] });
    zone.set('_http._tcp.orders.shop.svc.cluster.local', {
      SRV: [
        { target: 'pod-a.orders.shop.svc.cluster.local', port: 9000 },
        { target: 'pod-b.orders.shop.svc.cluster.local', port: 9001 },
      ],
    });
    zone.set('orders.shop.svc.cluster.local', { A: ['10.1.0.99'] });
    zone.set('pod-a.orders.shop.svc.cluster.local', { A: ['10.1.0.21'] });
    zone.set('pod-b.orders.shop.svc.cluster.local', { A: ['10.1.0.22'], AAAA: ['fd00::22'] });
    zone.set('billing-headless.shop.svc.cluster.local', { A: ['10.1.0.31'] });
  });
  afterAll(() => dns?.close());

  it('lists A records of <name>.<domain> on the configured port', async () => {
    const registry = await resolveRegistry(`dns:shop.svc.cluster.local?port=8080&server=${dns.server}`);
    expect(registry.kind).toBe('dns');
    expect(await registry.list('inventory-service')).toEqual([
      {
        id: 'inventory-service-10.1.0.11-8080',
        name: 'inventory-service',
        url: 'http://10.1.0.11:8080',
        meta: {},
      },
      {
        id: 'inventory-service-10.1.0.12-8080',
        name: 'inventory-service',
        url: 'http://10.1.0.12:8080',
        meta: {},
      },
    ]);
    await registry.check();
    await registry.close();
  });

  it('prefers the _http._tcp SRV record: its targets and ports (IPv4 and IPv6)', async () => {
    const registry = await resolveRegistry(`dns:shop.svc.cluster.local?port=8080&server=${dns.server}`);
    expect((await registry.list('orders')).map((i) => i.url)).toEqual([
      'http://10.1.0.21:9000',
      'http://10.1.0.22:9001',
      'http://[fd00::22]:9001',
    ]);
    await registry.close();
  });

  it('resolves a {name} template, and an unknown name to no instances', async () => {
    const registry = await resolveRegistry(`dns:{name}-headless.shop.svc.cluster.local?server=${dns.server}`);
    expect((await registry.list('billing')).map((i) => i.url)).toEqual(['http://10.1.0.31']);
    expect(await registry.list('nobody')).toEqual([]);
    await registry.close();
  });

  it('is read-only', async () => {
    const registry = await resolveRegistry(`dns:shop.svc.cluster.local?server=${dns.server}`);
    expect(registry.capabilities.register).toBe(false);
    const err = await registry.register({ name: 'x', url: 'http://127.0.0.1:1' }).catch((e: unknown) => e);
    expect(isOutrigError(err, 'REGISTRY_READ_ONLY')).toBe(true);
    await registry.close();
  });

  it('watch re-resolves and reports changes of the records', async () => {
    const registry = await resolveRegistry(
      `dns:shop.svc.cluster.local?port=80&refresh=100ms&server=${dns.server}`,
    );
    zone.set('scaling.shop.svc.cluster.local', { A: ['10.2.0.1'] });
    const w = recordWatch();
    const stop = registry.watch('scaling', w.onChange);
    await waitFor('the first list', () => w.calls.length === 1);
    zone.set('scaling.shop.svc.cluster.local', { A: ['10.2.0.1', '10.2.0.2'] });
    await waitFor('the scaled list', () => w.calls.length === 2);
    expect(w.calls).toEqual([['scaling-10.2.0.1-80'], ['scaling-10.2.0.1-80', 'scaling-10.2.0.2-80']]);
    stop();
    await registry.close();
  });

  it('check() and list() fail with REGISTRY_UNAVAILABLE when the DNS server does not answer', async () => {
    const silent = await startDnsServer(new Map());
    await silent.close(); // nothing listens on that port any more
    const registry = createDnsRegistry({
      domain: 'shop.svc.cluster.local',
      servers: [silent.server],
      timeoutMs: 200,
    });
    expect(isOutrigError(await registry.check().catch((e: unknown) => e), 'REGISTRY_UNAVAILABLE')).toBe(true);
    expect(isOutrigError(await registry.list('x').catch((e: unknown) => e), 'REGISTRY_UNAVAILABLE')).toBe(
      true,
    );
    await registry.close();
  });
});
