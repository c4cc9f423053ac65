import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDevCerts } from '../src/deploy/deploy-certs.ts';
import {
  exited,
  freePort,
  type HaproxyHarness,
  replaceInstance,
  startHaproxyHarness,
  waitFor,
} from './support/haproxy-harness.ts';

// A rolling restart under load through the rendered HAProxy config (mTLS to the instances):
// every instance is replaced one at a time — start the new one, wait until HAProxy has it UP,
// drain the old one in HAProxy, SIGTERM it (the kit finishes in-flight requests) — and no
// request fails, GET or POST. Then an instance is SIGKILLed under load: HAProxy retries the
// idempotent requests it had in flight; what failed is reported.

const exec = promisify(execFile);
const HAPROXY = process.env.HAPROXY ?? 'haproxy';
const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'deploy', 'tls-service.ts');
const BACKEND = 'inventory-service';

let dir: string;
let certs: string;
let h: HaproxyHarness | undefined;
let available = true;
const instances = new Map<number, ChildProcess>();

/** Starts an instance on `slot`'s port (TLS, client certificates required) and waits until it is ready. */
async function startInstance(slots: readonly number[], slot: number, name: string): Promise<ChildProcess> {
  const healthPort = await freePort();
  const child = spawn(process.execPath, [FIXTURE], {
    env: {
      PATH: process.env.PATH,
      INSTANCE: name,
      SERVICE_PORT: String(slots[slot]),
      HEALTH_PORT: String(healthPort),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_ENABLED: 'false',
      SHUTDOWN_TIMEOUT_MS: '10000',
      TLS_CERT_FILE: path.join(certs, `${BACKEND}.crt`),
      TLS_KEY_FILE: path.join(certs, `${BACKEND}.key`),
      TLS_CLIENT_CA_FILE: path.join(certs, 'ca.pem'),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  instances.set(slot, child);
  await waitFor(
    `${name} ready`,
    async () => (await fetch(`http://127.0.0.1:${healthPort}/ready`)).status === 200,
  );
  return child;
}

interface LoadReport {
  ok: number;
  failed: { method: string; outcome: string }[];
}

/** Requests through the edge from `workers` keep-alive clients, alternating GET and POST, until `stop`. */
function load(port: number, workers: number, stop: Promise<void>): Promise<LoadReport> {
  const report: LoadReport = { ok: 0, failed: [] };
  let done = false;
  void stop.then(() => {
    done = true;
  });
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const one = async (method: string): Promise<void> => {
    const ca = await readFile(path.join(certs, 'ca.pem'));
    await new Promise<void>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v1/items',
          method,
          ca,
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const good = method === 'GET' ? res.statusCode === 200 : res.statusCode === 201;
            if (good) report.ok += 1;
            else report.failed.push({ method, outcome: String(res.statusCode) });
            resolve();
          });
        },
      );
      req.on('error', (err) => {
        report.failed.push({ method, outcome: err.message });
        resolve();
      });
      req.end(method === 'POST' ? '{}' : undefined);
    });
  };
  const worker = async (i: number) => {
    for (let n = 0; !done; n++) await one((n + i) % 2 === 0 ? 'GET' : 'POST');
  };
  return Promise.all(Array.from({ length: workers }, (_, i) => worker(i))).then(() => {
    agent.destroy();
    return report;
  });
}

beforeAll(async () => {
  available = await exec(HAPROXY, ['-v']).then(
    () => true,
    () => false,
  );
  if (!available) {
    if (process.env.CI) throw new Error(`${HAPROXY} is not installed (scripts/test-servers.sh installs it)`);
    return;
  }
  dir = await mkdtemp(path.join(tmpdir(), 'outrig-rolling-'));
  certs = path.join(dir, 'certs');
  await makeDevCerts({ dir: certs, caName: 'test CA', names: ['edge', 'haproxy-client', BACKEND] });
  h = await startHaproxyHarness({
    haproxy: HAPROXY,
    dir,
    certs,
    backend: BACKEND,
    routes: [{ path: '/api/*/items', service: BACKEND }],
    slots: 3,
    spare: [2],
    beforeStart: async (slots) => {
      await startInstance(slots, 0, 'v1-a');
      await startInstance(slots, 1, 'v1-b');
    },
  });
}, 90_000);

afterAll(async () => {
  for (const child of instances.values()) if (child.exitCode === null) child.kill('SIGKILL');
  await h?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function underLoad(): { stop(): Promise<LoadReport> } {
  let stop: () => void = () => {};
  const running = load(
    h?.edgePort as number,
    8,
    new Promise<void>((r) => {
      stop = r;
    }),
  );
  return {
    stop: () => {
      stop();
      return running;
    },
  };
}

describe('rolling restart through HAProxy', () => {
  it('replaces every instance one at a time under load with zero failed requests', async (ctx) => {
    if (!available || !h) return ctx.skip();
    const harness = h;
    const traffic = underLoad();
    await new Promise((r) => setTimeout(r, 500));
    // slot 1 → the spare slot 3; then slot 2 → slot 1, free again.
    for (const [from, to, name] of [
      [0, 2, 'v2-a'],
      [1, 0, 'v2-b'],
    ] as const) {
      const old = instances.get(from) as ChildProcess;
      const code = await replaceInstance(harness, BACKEND, old, from, to, () =>
        startInstance(harness.slots, to, name),
      );
      expect(code).toBe(0);
    }
    await new Promise((r) => setTimeout(r, 500));
    const report = await traffic.stop();
    console.log(`rolling restart under load: ${report.ok} ok, ${report.failed.length} failed`);
    expect(report.failed).toEqual([]);
    expect(report.ok).toBeGreaterThan(0);
  }, 180_000);

  it('SIGKILL under load: idempotent requests are retried, the failures are only non-idempotent ones', async (ctx) => {
    if (!available || !h) return ctx.skip();
    const harness = h;
    const traffic = underLoad();
    await new Promise((r) => setTimeout(r, 500));
    const victim = instances.get(2) as ChildProcess;
    victim.kill('SIGKILL');
    await exited(victim);
    await waitFor('the killed slot DOWN', async () =>
      (await harness.serverStat(2)).status.startsWith('DOWN'),
    );
    await new Promise((r) => setTimeout(r, 500));
    const report = await traffic.stop();
    // Reported, not asserted to be empty: a POST in flight at the kill has an unknown outcome.
    console.log(`SIGKILL under load: ${report.ok} ok, failed: ${JSON.stringify(report.failed)}`);
    expect(report.failed.filter((f) => f.method !== 'POST')).toEqual([]);
    expect(report.ok).toBeGreaterThan(0);
  }, 120_000);
});
