/**
 * Runs the rendered HAProxy configuration in front of instances on loopback for the deploy
 * tests: one backend with server slots on free ports, an admin socket for the runtime API
 * (drain, maint, ready), and the rolling replacement a deploy tool would do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { compileRoutes, type GatewayRoute } from '@outrig/gateway/routes';
import type { DeployModel } from '../../src/deploy/deploy-model.ts';
import { renderHaproxy } from '../../src/deploy/render-haproxy.ts';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.once('exit', (code) => r(code)));
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A running HAProxy with the rendered config for one backend of `slots` server slots. */
export interface HaproxyHarness {
  readonly edgePort: number;
  readonly slots: readonly number[];
  /** One command on the admin socket; resolves with its answer. */
  admin(command: string): Promise<string>;
  /** The status (`UP`, `DOWN`, `MAINT`, …) and current sessions of slot `i` (0-based). */
  serverStat(i: number): Promise<{ status: string; sessions: number }>;
  log(): string;
  stop(): Promise<void>;
}

export async function startHaproxyHarness(options: {
  haproxy: string;
  dir: string;
  certs: string;
  backend: string;
  routes: GatewayRoute[];
  slots: number;
  /** Slots (0-based) put in maintenance at start (no instance there yet). */
  spare: readonly number[];
  /** Called once the ports are known, before HAProxy starts: start the first instances. */
  beforeStart(slots: readonly number[]): Promise<void>;
}): Promise<HaproxyHarness> {
  const { backend } = options;
  const slots: number[] = [];
  for (let i = 0; i < options.slots; i++) slots.push(await freePort());
  const edgePort = await freePort();
  const socket = path.join(options.dir, 'admin.sock');
  const compiled = compileRoutes(options.routes);
  if (!compiled.ok) throw new Error(compiled.problems.join('; '));
  const model: DeployModel = {
    system: 'harness',
    namespace: 'harness',
    transport: 'memory',
    workspaceRoot: options.dir,
    systemRoot: options.dir,
    services: [
      {
        name: backend,
        kind: 'service',
        port: 8000,
        database: false,
        auth: false,
        workspaceDir: '.',
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
  const cfg = path.join(options.dir, 'haproxy.cfg');
  await writeFile(
    cfg,
    renderHaproxy(model, {
      certDir: options.certs,
      httpBind: `127.0.0.1:${await freePort()}`,
      httpsBind: `127.0.0.1:${edgePort}`,
      statsBind: `127.0.0.1:${await freePort()}`,
      meshBind: `127.0.0.1:${await freePort()}`,
      servers: { [backend]: slots.map((p) => `127.0.0.1:${p}`) },
      adminSocket: socket,
      checkIntervalS: 1,
    }),
  );
  await options.beforeStart(slots);
  let log = '';
  const child = spawn(options.haproxy, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  const admin = (command: string) =>
    new Promise<string>((resolve, reject) => {
      let out = '';
      const c = connect(socket, () => c.write(`${command}\n`));
      c.on('data', (d) => (out += d));
      c.on('end', () => resolve(out));
      c.on('error', reject);
    });
  const serverStat = async (i: number) => {
    const csv = await admin('show stat');
    const header = (csv.split('\n')[0] as string).replace(/^# /, '').split(',');
    const row = csv
      .split('\n')
      .map((l) => l.split(','))
      .find((r) => r[0] === backend && r[1] === `${backend}-${i + 1}`);
    if (!row) throw new Error(`no server ${backend}-${i + 1} in:\n${csv}`);
    return { status: row[header.indexOf('status')] as string, sessions: Number(row[header.indexOf('scur')]) };
  };
  await waitFor('the admin socket', async () => (await admin('show info')).includes('Name: HAProxy'));
  for (const i of options.spare) await admin(`set server ${backend}/${backend}-${i + 1} state maint`);
  const live = slots.map((_, i) => i).filter((i) => !options.spare.includes(i));
  await waitFor('the live slots UP', async () => {
    for (const i of live) if ((await serverStat(i)).status !== 'UP') return false;
    return true;
  });
  return {
    edgePort,
    slots,
    admin,
    serverStat,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited(child);
      }
    },
  };
}

/**
 * Replaces the instance on slot `from` by one `start`ed on the free slot `to`, as a deploy tool
 * would: start it, mark the slot ready and wait until HAProxy has it UP, drain the old slot
 * until no session is left, SIGTERM the old instance (returns its exit code), then maint.
 */
export async function replaceInstance(
  h: HaproxyHarness,
  backend: string,
  old: ChildProcess,
  from: number,
  to: number,
  start: () => Promise<unknown>,
): Promise<number | null> {
  await start();
  await h.admin(`set server ${backend}/${backend}-${to + 1} state ready`);
  await waitFor(`slot ${to + 1} UP`, async () => (await h.serverStat(to)).status === 'UP');
  await h.admin(`set server ${backend}/${backend}-${from + 1} state drain`);
  await waitFor(`slot ${from + 1} drained`, async () => (await h.serverStat(from)).sessions === 0);
  old.kill('SIGTERM');
  const code = await exited(old);
  await h.admin(`set server ${backend}/${backend}-${from + 1} state maint`);
  return code;
}
