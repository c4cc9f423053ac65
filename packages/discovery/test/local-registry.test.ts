import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalRegistry, type Registry } from '../src/index.ts';
import { writeRecord } from '../src/local/instance-files.ts';
import { describeRegistryBehaviour } from './support/describe-registry-behaviour.ts';
import { killAll, startTinyService, type TinyService } from './support/tiny-service-process.ts';
import { recordWatch, waitFor } from './support/wait-for.ts';

const home = await mkdtemp(path.join(tmpdir(), 'outrig-local-registry-'));
const dir = path.join(home, '.outrig', 'registry');
afterAll(() => rm(home, { recursive: true, force: true }));

describeRegistryBehaviour('local', {
  create: async () => createLocalRegistry({ dir, ttlSeconds: 5, rescanMs: 100 }),
});

describe('local registry: records that stop heartbeating', () => {
  it('lists a record until its heartbeat is older than its TTL, then deletes it', async () => {
    const registry = createLocalRegistry({ dir, rescanMs: 100 });
    // One heartbeat and no more: what a frozen or vanished process leaves behind.
    const instance = { id: 'frozen-1', name: 'frozen', url: 'http://127.0.0.1:40100', meta: {} };
    await writeRecord(dir, instance, 1000);
    expect(await registry.list('frozen')).toEqual([instance]);
    await waitFor('expiry', async () => (await registry.list('frozen')).length === 0, 3000);
    expect(await readdir(path.join(dir, 'frozen'))).toEqual([]);
    await registry.close();
  });

  it('drops a record at once when its process is gone (same host)', async () => {
    const registry = createLocalRegistry({ dir, rescanMs: 100 });
    const instance = { id: 'dead-1', name: 'dead', url: 'http://127.0.0.1:40101', meta: {} };
    await writeRecord(dir, instance, 60_000);
    const file = path.join(dir, 'dead', 'dead-1.json');
    const record = JSON.parse(await readFile(file, 'utf8')) as { pid: number };
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    await writeFile(file, JSON.stringify({ ...record, pid: Number(gone.stdout.toString()) }));
    expect(await registry.list('dead')).toEqual([]);
    await registry.close();
  });
});

describe('local registry: tiny-service processes (REGISTRY_URL=local:)', () => {
  const children: TinyService[] = [];
  let registry: Registry;
  const env = { REGISTRY_URL: 'local:', OUTRIG_HOME: home };

  beforeAll(() => {
    registry = createLocalRegistry({ dir, rescanMs: 100 });
  });
  afterAll(async () => {
    killAll(children);
    await registry?.close();
  });

  it('two instances register; a SIGKILLed one leaves the list within its TTL and the watch sees it', async () => {
    const a = startTinyService({ ...env, REGISTRY_TTL_S: '2' });
    const b = startTinyService({ ...env, REGISTRY_TTL_S: '30' });
    children.push(a, b);
    const [ia, ib] = await Promise.all([a.registered, b.registered]);
    expect(ia.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ia.meta).toEqual({ versions: '1,2', latest: '2' });
    const w = recordWatch();
    const stop = registry.watch('tiny-service', w.onChange);
    await waitFor('both instances', () => w.calls.at(-1)?.length === 2);
    expect(w.calls.at(-1)).toEqual([ia.id, ib.id].sort());

    a.child.kill('SIGKILL');
    await a.exited;
    await waitFor(
      'the killed instance gone from the watch',
      () => w.calls.at(-1)?.join() === ib.id,
      2000 + 2000,
    );
    expect((await registry.list('tiny-service')).map((i) => i.id)).toEqual([ib.id]);
    stop();
  });

  it('a SIGSTOPped instance (alive, no heartbeat) leaves within its TTL and comes back on SIGCONT', async () => {
    const c = startTinyService({ ...env, REGISTRY_TTL_S: '2' });
    children.push(c);
    const ic = await c.registered;
    await waitFor('listed', async () => (await registry.list('tiny-service')).some((i) => i.id === ic.id));
    c.child.kill('SIGSTOP');
    await waitFor(
      'expired',
      async () => !(await registry.list('tiny-service')).some((i) => i.id === ic.id),
      6000,
    );
    expect(await readdir(path.join(dir, 'tiny-service'))).not.toContain(`${ic.id}.json`);
    c.child.kill('SIGCONT');
    await waitFor('back after its next heartbeat', async () =>
      (await registry.list('tiny-service')).some((i) => i.id === ic.id),
    );
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  });

  it('SIGTERM deregisters at once (long TTL: only deregistration can remove it) and exits 0', async () => {
    const d = startTinyService({ ...env, REGISTRY_TTL_S: '60' });
    children.push(d);
    const id = (await d.registered).id;
    await waitFor('listed', async () => (await registry.list('tiny-service')).some((i) => i.id === id));
    d.child.kill('SIGTERM');
    await waitFor(
      'deregistered',
      async () => !(await registry.list('tiny-service')).some((i) => i.id === id),
      5000,
    );
    expect(await d.exited).toBe(0);
  });
});
