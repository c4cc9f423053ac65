import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compileRoutes } from '@outrig/gateway/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDevCerts } from '../src/deploy/deploy-certs.ts';
import type { DeployModel } from '../src/deploy/deploy-model.ts';
import { renderHaproxy } from '../src/deploy/render-haproxy.ts';

// A rolling restart under load through the rendered HAProxy config (mTLS to the instances):
// every instance of inventory-service is replaced one at a time — start the new one, wait until
// HAProxy has it UP, drain the old one in HAProxy, SIGTERM it (the kit finishes in-flight
// requests) — and no request fails, GET or POST. Then an instance is SIGKILLed under load:
// HAProxy retries the idempotent requests it had in flight; what failed is reported.

const exec = promisify(execFile);
const HAPROXY = process.env.HAPROXY ?? 'haproxy';
const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'deploy', 'tls-service.ts');
const BACKEND = 'inventory-service';

let dir: string;
let certs: string;
let socket: string;
let haproxy: ChildProcess | undefined;
let haproxyLog = '';
let edgePort = 0;
let available = true;
/** Port of each server slot of the backend (slot i = server `inventory-service-<i+1>`). */
const slots: number[] = [];
const instances = new Map<number, ChildProcess>();

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** One command on HAProxy's admin socket; resolves with its answer. */
function admin(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const c = connect(socket, () => c.write(`${command}\n`));
    c.on('data', (d) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
}

/** The status column (`UP`, `DOWN`, `MAINT`, `DRAIN`…) and current sessions of a slot. */
async function serverStat(slot: number): Promise<{ status: string; sessions: number }> {
  const csv = await admin('show stat');
  const header = (csv.split('\n')[0] as string).replace(/^# /, '').split(',');
  const row = csv
    .split('\n')
    .map((l) => l.split(','))
    .find((r) => r[0] === BACKEND && r[1] === `${BACKEND}-${slot + 1}`);
  if (!row) throw new Error(`no server ${BACKEND}-${slot + 1} in:\n${csv}`);
  return { status: row[header.indexOf('status')] as string, sessions: Number(row[header.indexOf('scur')]) };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${haproxyLog.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts an instance on `slot`'s port (TLS, client certificates required) and waits until it is ready. */
async function startInstance(slot: number, name: string): Promise<ChildProcess> {
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

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.once('exit', (code) => r(code)));
}

interface LoadReport {
  ok: number;
  failed: { method: string; outcome: string }[];
}

/** Requests through the edge from `workers` keep-alive clients, alternating GET and POST, until `stop`. */
function load(workers: number, stop: Promise<void>): Promise<LoadReport> {
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
          port: edgePort,
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
  socket = path.join(dir, 'admin.sock');
  await makeDevCerts({ dir: certs, caName: 'test CA', names: ['edge', 'haproxy-client', BACKEND] });
  for (let i = 0; i < 3; i++) slots.push(await freePort());
  edgePort = await freePort();
  const compiled = compileRoutes([{ path: '/api/*/items', service: BACKEND }]);
  if (!compiled.ok) throw new Error(compiled.problems.join('; '));
  const model: DeployModel = {
    system: 'rolling',
    namespace: 'rolling',
    transport: 'memory',
    workspaceRoot: dir,
    systemRoot: dir,
    services: [
      {
        name: BACKEND,
        kind: 'service',
        port: 8004,
        database: false,
        auth: false,
        workspaceDir: 'services/inventory-service',
        workspaceDeps: [],
        entry: 'src/main.ts',
        env: {},
        calls: [],
        callers: [],
      },
    ],
    routes: compiled.routes,
    skippedRoutes: [],
    warnings: [],
    ops: { dashboards: [] },
  };
  const cfg = path.join(dir, 'haproxy.cfg');
  await writeFile(
    cfg,
    renderHaproxy(model, {
      certDir: certs,
      httpBind: `127.0.0.1:${await freePort()}`,
      httpsBind: `127.0.0.1:${edgePort}`,
      statsBind: `127.0.0.1:${await freePort()}`,
      meshBind: `127.0.0.1:${await freePort()}`,
      servers: { [BACKEND]: slots.map((p) => `127.0.0.1:${p}`) },
      adminSocket: socket,
      checkIntervalS: 1,
    }),
  );
  await startInstance(0, 'v1-a');
  await startInstance(1, 'v1-b');
  haproxy = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout?.on('data', (d) => (haproxyLog += d));
  haproxy.stderr?.on('data', (d) => (haproxyLog += d));
  await waitFor('the admin socket', async () => (await admin('show info')).includes('Name: HAProxy'));
  // The spare slot takes no traffic until an instance runs there.
  await admin(`set server ${BACKEND}/${BACKEND}-3 state maint`);
  await waitFor(
    'slots 1 and 2 UP',
    async () => (await serverStat(0)).status === 'UP' && (await serverStat(1)).status === 'UP',
  );
}, 90_000);

afterAll(async () => {
  for (const child of instances.values()) if (child.exitCode === null) child.kill('SIGKILL');
  if (haproxy?.exitCode === null) {
    haproxy.kill('SIGTERM');
    await exited(haproxy);
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Replaces the instance on `from` by a new one on the free slot `to`, as a deploy tool would. */
async function replace(from: number, to: number, name: string): Promise<void> {
  await startInstance(to, name);
  await admin(`set server ${BACKEND}/${BACKEND}-${to + 1} state ready`);
  await waitFor(`slot ${to + 1} UP`, async () => (await serverStat(to)).status === 'UP');
  await admin(`set server ${BACKEND}/${BACKEND}-${from + 1} state drain`);
  await waitFor(`slot ${from + 1} drained`, async () => (await serverStat(from)).sessions === 0);
  const old = instances.get(from) as ChildProcess;
  old.kill('SIGTERM');
  expect(await exited(old)).toBe(0);
  await admin(`set server ${BACKEND}/${BACKEND}-${from + 1} state maint`);
}

describe('rolling restart through HAProxy', () => {
  it('replaces every instance one at a time under load with zero failed requests', async (ctx) => {
    if (!available) ctx.skip();
    let stop: () => void = () => {};
    const running = load(
      8,
      new Promise<void>((r) => {
        stop = r;
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    await replace(0, 2, 'v2-a'); // slot 1 → spare slot 3
    await replace(1, 0, 'v2-b'); // slot 2 → slot 1, free again
    await new Promise((r) => setTimeout(r, 500));
    stop();
    const report = await running;
    console.log(`rolling restart under load: ${report.ok} ok, ${report.failed.length} failed`);
    expect(report.failed).toEqual([]);
    expect(report.ok).toBeGreaterThan(0);
  }, 180_000);

  it('SIGKILL under load: idempotent requests are retried, the failures are only non-idempotent ones', async (ctx) => {
    if (!available) ctx.skip();
    let stop: () => void = () => {};
    const running = load(
      8,
      new Promise<void>((r) => {
        stop = r;
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    const victim = instances.get(2) as ChildProcess;
    victim.kill('SIGKILL');
    await exited(victim);
    await waitFor('the killed slot DOWN', async () => (await serverStat(2)).status.startsWith('DOWN'));
    await new Promise((r) => setTimeout(r, 500));
    stop();
    const report = await running;
    // Reported, not asserted to be empty: a POST in flight at the kill has an unknown outcome.
    console.log(`SIGKILL under load: ${report.ok} ok, failed: ${JSON.stringify(report.failed)}`);
    expect(report.failed.filter((f) => f.method !== 'POST')).toEqual([]);
    expect(report.ok).toBeGreaterThan(0);
  }, 120_000);
});
