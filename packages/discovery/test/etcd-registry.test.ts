import { createService } from '@outrig/core';
import { isOutrigError } from '@outrig/core/errors';
import { type EtcdServer, etcdInstalled, startEtcd } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Registry, resolveRegistry } from '../src/index.ts';
import { describeRegistryBehaviour } from './support/describe-registry-behaviour.ts';
import { killAll, startTinyService, type TinyService } from './support/tiny-service-process.ts';
import { recordWatch, waitFor } from './support/wait-for.ts';

const installed = etcdInstalled();
let etcd: EtcdServer;
beforeAll(async () => {
  if (installed) etcd = await startEtcd();
});
afterAll(() => etcd?.dispose());

describeRegistryBehaviour('etcd', {
  skip: !installed,
  create: () => resolveRegistry(etcd.registryUrl, { ttlSeconds: 5 }),
});

describe.skipIf(!installed)('etcd registry: tiny-service processes against a real etcd', () => {
  const children: TinyService[] = [];
  let registry: Registry;

  beforeAll(async () => {
    registry = await resolveRegistry(etcd.registryUrl);
  });
  afterAll(async () => {
    killAll(children);
    await registry?.close();
  });

  it('two instances register; a SIGKILLed one leaves within its lease TTL and the watch sees it', async () => {
    const a = startTinyService({ REGISTRY_URL: etcd.registryUrl, REGISTRY_TTL_S: '2' });
    const b = startTinyService({ REGISTRY_URL: etcd.registryUrl, REGISTRY_TTL_S: '30' });
    children.push(a, b);
    const [ia, ib] = await Promise.all([a.registered, b.registered]);
    expect(ia.meta).toEqual({ versions: '1,2', latest: '2' });
    const w = recordWatch();
    const stop = registry.watch('tiny-service', w.onChange);
    await waitFor('both instances', () => w.calls.at(-1)?.length === 2);

    a.child.kill('SIGKILL');
    await a.exited;
    // The lease was last renewed at most TTL/3 before the kill; etcd expires it TTL later.
    await waitFor(
      'the killed instance gone from the watch',
      () => w.calls.at(-1)?.join() === ib.id,
      2000 + 2000,
    );
    expect((await registry.list('tiny-service')).map((i) => i.id)).toEqual([ib.id]);
    stop();
  });

  it("a caller's service client stops sending to a SIGKILLed instance", async () => {
    const env = { REGISTRY_URL: etcd.registryUrl, REGISTRY_TTL_S: '2', SERVICE_NAME: 'tiny-called' };
    const a = startTinyService(env);
    const b = startTinyService(env);
    children.push(a, b);
    const [ia] = await Promise.all([a.registered, b.registered]);
    const caller = createService({
      name: 'caller',
      env: { LOG_LEVEL: 'silent', CLIENT_RETRY_DELAY_MS: '1' },
    });
    caller.useInstances(registry);
    const client = caller.client('tiny-called');
    const whoami = async () => ((await client.get('/api/v1/whoami')) as { pid: number }).pid;
    const retries = async () =>
      Number(/^client_retries_total\{[^}]*\} (\d+)$/m.exec(await caller.metrics.render())?.[1] ?? 0);
    try {
      await waitFor('both instances answering', async () => {
        const pids = new Set<number>();
        for (let i = 0; i < 6; i++) pids.add(await whoami());
        return pids.size === 2;
      });
      a.child.kill('SIGKILL');
      await a.exited;
      // Right after the kill: every call still succeeds, on the survivor (a refused connection
      // is retried on another instance, and the dead one is ejected).
      for (let i = 0; i < 10; i++) expect(await whoami()).toBe(b.child.pid);
      // Once its lease expired the registry no longer lists it: no call even tries it.
      await waitFor(
        'the killed instance gone',
        async () => !(await registry.list('tiny-called')).some((i) => i.id === ia.id),
        8000,
      );
      await new Promise((r) => setTimeout(r, 200));
      const before = await retries();
      for (let i = 0; i < 20; i++) expect(await whoami()).toBe(b.child.pid);
      expect(await retries()).toBe(before);
    } finally {
      await caller.stop();
      b.child.kill('SIGTERM');
      await b.exited;
    }
  });

  it('SIGTERM deregisters at once (the 30 s lease is revoked, not expired) and exits 0', async () => {
    const listed = await registry.list('tiny-service');
    const b = children[1] as TinyService;
    expect(listed.map((i) => i.id)).toEqual([(await b.registered).id]);
    b.child.kill('SIGTERM');
    await waitFor('deregistered', async () => (await registry.list('tiny-service')).length === 0, 5000);
    expect(await b.exited).toBe(0);
  });

  it('an instance whose lease expired while it was paused registers again when it resumes', async () => {
    const c = startTinyService({ REGISTRY_URL: etcd.registryUrl, REGISTRY_TTL_S: '2' });
    children.push(c);
    const id = (await c.registered).id;
    c.child.kill('SIGSTOP');
    await waitFor(
      'expired while paused',
      async () => (await registry.list('tiny-service')).length === 0,
      6000,
    );
    c.child.kill('SIGCONT');
    await waitFor(
      'registered again under a new lease',
      async () => (await registry.list('tiny-service')).some((i) => i.id === id),
      10_000,
    );
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  });

  it('check() fails while etcd is down and passes once it is back', async () => {
    await registry.check();
    await etcd.kill();
    const err = await registry.check().catch((e: unknown) => e);
    expect(isOutrigError(err, 'REGISTRY_UNAVAILABLE')).toBe(true);
    await etcd.resume();
    await waitFor('etcd reachable again', () => registry.check().then(() => true), 15_000, 250);
  });
});
