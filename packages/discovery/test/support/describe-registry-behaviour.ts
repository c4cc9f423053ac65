import { isOutrigError } from '@outrig/core/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from '../../src/index.ts';
import { recordWatch, waitFor } from './wait-for.ts';

export interface RegistryBehaviourOptions {
  /** Skip (locally) when the server is missing. */
  skip?: boolean;
  /** A new, independent registry client per call ("another process"). */
  create: () => Promise<Registry>;
  /**
   * Makes a registered instance healthy where the registry checks health (Consul): returns the
   * URL to register, serving 200 on /health. Default: an unreachable URL is fine.
   */
  instanceUrl?: (n: number) => string;
}

/**
 * What every registry that accepts registrations must do, run against each adapter's real
 * server (or, for Consul, the API double): the Registry port's contract.
 */
export function describeRegistryBehaviour(name: string, o: RegistryBehaviourOptions): void {
  describe.skipIf(o.skip)(`${name} registry: the Registry contract`, () => {
    let a: Registry;
    let b: Registry;
    const url = o.instanceUrl ?? ((n: number) => `http://127.0.0.1:${40000 + n}`);
    const svc = `contract-${Math.random().toString(36).slice(2, 8)}`;

    beforeAll(async () => {
      a = await o.create();
      b = await o.create();
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    it('answers check() and lists an unknown service as empty', async () => {
      await a.check();
      expect(await a.list(`${svc}-nobody`)).toEqual([]);
    });

    it('lists what another client registered, with its url and meta, and forgets it on deregister', async () => {
      const reg = await a.register({ name: svc, url: url(1), meta: { versions: '1,2', latest: '2' } });
      expect(reg.instance.id).toMatch(new RegExp(`^${svc}-127\\.0\\.0\\.1-\\d+-[0-9a-f]{6}$`));
      const seen = await waitFor('the instance in the list', async () => {
        const list = await b.list(svc);
        return list.length === 1 ? list : undefined;
      });
      expect(seen).toEqual([
        { id: reg.instance.id, name: svc, url: url(1), meta: { versions: '1,2', latest: '2' } },
      ]);
      await reg.deregister();
      await reg.deregister(); // idempotent
      expect(await b.list(svc)).toEqual([]);
    });

    it('watch reports the current list first, then each change, and nothing after stop', async () => {
      const first = await a.register({ name: svc, url: url(2), id: `${svc}-a` });
      // Listed (for Consul: its health check passed) before the watch starts.
      await waitFor('listed', async () => (await b.list(svc)).length === 1);
      const w = recordWatch();
      const stop = b.watch(svc, w.onChange);
      await waitFor('the initial list', () => w.calls.length > 0 && w.calls.at(-1)?.length === 1);
      expect(w.calls[0]).toEqual([`${svc}-a`]);
      const second = await a.register({ name: svc, url: url(3), id: `${svc}-b` });
      await waitFor('the second instance', () => w.calls.at(-1)?.length === 2);
      expect(w.calls.at(-1)).toEqual([`${svc}-a`, `${svc}-b`]); // sorted by id
      await first.deregister();
      await waitFor('the first one gone', () => w.calls.at(-1)?.join() === `${svc}-b`);
      for (let i = 1; i < w.calls.length; i++) expect(w.calls[i]).not.toEqual(w.calls[i - 1]);
      stop();
      const count = w.calls.length;
      await second.deregister();
      await new Promise((r) => setTimeout(r, 300));
      expect(w.calls.length).toBe(count);
    });

    it('refuses names and urls that some registry could not store', async () => {
      for (const bad of [
        { name: 'has space', url: url(4) },
        { name: svc, url: 'ftp://127.0.0.1:21' },
        { name: svc, url: 'http://127.0.0.1:1/with/path' },
        { name: svc, url: url(4), meta: { 'bad key': 'x' } },
      ]) {
        const err = await a.register(bad).catch((e: unknown) => e);
        expect(isOutrigError(err, 'REGISTRATION_INVALID'), JSON.stringify(bad)).toBe(true);
      }
    });

    it('close() deregisters what is still registered through it', async () => {
      const c = await o.create();
      await c.register({ name: svc, url: url(5), id: `${svc}-closing` });
      await waitFor('registered', async () => (await b.list(svc)).some((i) => i.id === `${svc}-closing`));
      await c.close();
      await waitFor(
        'gone after close',
        async () => !(await b.list(svc)).some((i) => i.id === `${svc}-closing`),
      );
      const err = await c.list(svc).catch((e: unknown) => e);
      expect(isOutrigError(err, 'REGISTRY_CLOSED')).toBe(true);
    });
  });
}
