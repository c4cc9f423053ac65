import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Delivery } from '@outrig/messaging';
import { resolveBroker } from '@outrig/messaging';
import { eventually, freePort, serverAvailable } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePack } from '../../../scripts/release-pack.ts';
import { OUTRIG_PACKAGES } from '../src/scaffold/outrig-packages.ts';
import { npm, outrig, type Result } from './support/cli-process.ts';
import { type RunningSystem, runSystem } from './support/run-system.ts';

// One generated system, installed once from one pack of this checkout (tsc and npm install are
// the slow parts), shared by every test here. Outrig comes from the tarballs, as a team outside
// this repository gets it: built JavaScript under node_modules, nothing from the registry.
const ok = await serverAvailable('postgres');
const run = promisify(execFile);

const ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
/** Output without colours. */
const plain = (text: string) => text.replace(ESCAPE, '');

/** The new system's own `outrig` (built from the tarball), as `npx outrig` runs it there. */
const installed = (args: readonly string[], cwd: string) =>
  npm(['exec', '--no', '--', 'outrig', ...args], cwd);

/**
 * `npm start -- --json` in `root` (the system's `outrig dev`: embedded PostgreSQL, every service),
 * with the gateway and the service on free ports; resolves once dev reports `running`. `stop()`
 * is Ctrl-C and resolves to npm's exit code.
 */
async function npmStart(root: string): Promise<{ gatewayUrl: string; stop(): Promise<number | null> }> {
  const gatewayPort = await freePort();
  const child = spawn('npm', ['start', '--', '--json'], {
    cwd: root,
    env: {
      ...process.env,
      CI: '',
      GATEWAY_PORT: String(gatewayPort),
      NOTES_SERVICE_PORT: String(await freePort()),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const running = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('"event":"running"')) resolve();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    void exited.then((code) => reject(new Error(`npm start exited (${code}) before running:\n${output}`)));
  });
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
    return exited;
  };
  try {
    await running;
  } catch (err) {
    await stop();
    throw err;
  }
  return { gatewayUrl: `http://127.0.0.1:${gatewayPort}`, stop };
}

/** The output of a failed command, as the assertion's message. */
const passed = (r: Result) => expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);

// biome-ignore lint/suspicious/noExplicitAny: assertions check the shape
const body = async (res: Response): Promise<any> => res.json();

describe.skipIf(!ok)('outrig new, then outrig add, in a folder outside the repository', () => {
  let work: string;
  let root: string;
  let system: RunningSystem | undefined;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'outrig-new-'));
    // As root, the embedded server runs as user postgres, which must be able to enter this folder.
    await chmod(work, 0o755);
    root = join(work, 'acme');
    await releasePack(join(work, 'tarballs'));
    const made = await outrig(['new', 'acme', '--yes', '--packages', join(work, 'tarballs')], work);
    passed(made);
    expect(made.stdout).toContain('Dependencies installed');
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    // Every package of the pack (those the system uses and any others) is mapped to its tarball.
    const packed = (await readdir(join(work, 'tarballs'))).filter((f) => f.endsWith('.tgz'));
    expect(Object.keys(pkg.overrides)).toHaveLength(packed.length);
    expect(Object.keys(pkg.overrides)).toEqual(expect.arrayContaining([...OUTRIG_PACKAGES]));
    for (const spec of Object.values(pkg.overrides)) expect(spec).toMatch(/^file:.*\.tgz$/);
    const lock = await readFile(join(root, 'package-lock.json'), 'utf8');
    expect(lock).not.toMatch(/registry\.npmjs\.org\/(@outrig\/|outrig\/)/);
  }, 900_000);
  afterAll(async () => {
    await system?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('writes outrig.json with the answers and a service and a gateway', async () => {
    const file = JSON.parse(await readFile(join(root, 'outrig.json'), 'utf8'));
    expect(file).toMatchObject({
      name: 'acme',
      transport: 'postgres',
      registry: 'local',
      services: {
        'notes-service': { dir: 'services/notes-service', port: 8001 },
        gateway: { dir: 'services/gateway', port: 10000, kind: 'gateway' },
      },
      template: {
        version: '0.1.0',
        answers: { service: 'notes-service', transport: 'postgres', auth: false },
      },
    });
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });

  it('passes its own lint, typecheck and tests at once', async () => {
    passed(await npm(['run', 'lint'], root));
    passed(await npm(['run', 'typecheck'], root));
    const tests = await npm(['test'], root);
    passed(tests);
    expect(plain(tests.stdout)).toMatch(/Tests\s+4 passed/);
    // The migration and snapshot are what drizzle-kit would have written: it sees nothing to do.
    const generate = await npm(
      ['exec', '--', 'drizzle-kit', 'generate'],
      join(root, 'services/notes-service'),
    );
    passed(generate);
    expect(generate.stdout).toContain('No schema changes');
  }, 300_000);

  it('npm start (outrig dev, embedded defaults) serves the generated resource through the gateway, in the envelope', async () => {
    const dev = await npmStart(root);
    try {
      const created = await eventually('a note created through the gateway', async () => {
        const res = await fetch(`${dev.gatewayUrl}/api/v1/notes`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Hello' }),
        });
        return res.status === 201 ? body(res) : undefined;
      });
      expect(created.data).toMatchObject({ name: 'Hello', id: expect.any(String) });
      expect(created.metadata).toMatchObject({ version: 'v1', requestId: expect.any(String) });
      const list = await body(await fetch(`${dev.gatewayUrl}/api/v1/notes`));
      expect(list.data).toEqual([created.data]);
    } finally {
      await dev.stop();
    }
  }, 300_000);

  it('outrig add service and add resource: lint, typecheck and tests pass; CRUD through the gateway; events on the bus', async () => {
    const service = await installed(['add', 'service', 'orders-service'], root);
    passed(service);
    expect(service.stdout).toContain('create  services/orders-service/src/routes/v1/orders.ts');
    expect(service.stdout).toContain('update  services/gateway/src/routes.ts');
    const resource = await installed(['add', 'resource', 'orders-service', 'line-item'], root);
    passed(resource);
    expect(resource.stdout).toContain('create  services/orders-service/drizzle/0001_line_items.sql');
    const file = JSON.parse(await readFile(join(root, 'outrig.json'), 'utf8'));
    expect(file.services['orders-service']).toEqual({ dir: 'services/orders-service', port: 8002 });

    passed(await npm(['run', 'lint'], root));
    passed(await npm(['run', 'typecheck'], root));
    const tests = await npm(['test'], root);
    passed(tests);
    expect(tests.stdout).toContain('line-items-api.test.ts');

    system = await runSystem(root, join(work, 'home'));
    const broker = await resolveBroker(system.busUrl);
    const seen: Delivery['event'][] = [];
    const sub = await broker.subscribe(['line-item.events'], { group: 'outrig-new-test' }, async (d) => {
      seen.push(d.event);
      await d.ack();
    });
    try {
      const url = `${system.gatewayUrl}/api/v1/line-items`;
      const json = { 'content-type': 'application/json' };
      const created = await eventually('a line item created through the gateway', async () => {
        const res = await fetch(url, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ name: 'Pen' }),
        });
        return res.status === 201 ? (await body(res)).data : undefined;
      });
      const replaced = await fetch(`${url}/${created.id}`, {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({ name: 'Ink' }),
      });
      expect((await body(replaced)).data).toMatchObject({ id: created.id, name: 'Ink' });
      expect((await fetch(`${url}/${created.id}`, { method: 'DELETE' })).status).toBe(204);
      const gone = await fetch(`${url}/${created.id}`);
      expect(gone.status).toBe(404);
      expect((await body(gone)).error.code).toBe('LINE_ITEM_NOT_FOUND');
      await eventually('three line-item events on the bus', () => (seen.length >= 3 ? true : undefined));
      expect(seen.map((e) => e.type)).toEqual([
        'line-item.created',
        'line-item.updated',
        'line-item.deleted',
      ]);
      expect(seen[0]!.data).toMatchObject({ id: created.id, name: 'Pen' });
    } finally {
      await sub.close();
      await broker.close();
    }
  }, 600_000);

  it('outrig new --auth: an auth service, the gateway and every service require its tokens; its tests (register, login, a protected route through the gateway) pass', async () => {
    const made = await outrig(
      ['new', 'guarded', '--yes', '--auth', '--packages', join(work, 'tarballs')],
      work,
    );
    passed(made);
    const guarded = join(work, 'guarded');
    expect(made.stdout).toContain('create  services/auth-service/src/service.ts');
    const file = JSON.parse(await readFile(join(guarded, 'outrig.json'), 'utf8'));
    expect(file.services['auth-service']).toEqual({
      dir: 'services/auth-service',
      port: 8001,
      auth: true,
      embeddedEnv: {
        AUTH_ADMIN_EMAIL: 'admin@guarded.local',
        AUTH_ADMIN_PASSWORD: 'guarded-admin-dev-password',
      },
    });
    expect(file.services['notes-service']).toEqual({ dir: 'services/notes-service', port: 8002 });
    expect(file.template.answers).toMatchObject({ auth: true });
    const lock = await readFile(join(guarded, 'package-lock.json'), 'utf8');
    expect(lock).not.toMatch(/registry\.npmjs\.org\/(@outrig\/|outrig\/)/);
    // The installed @outrig/auth (dist/) finds its SQL migrations shipped beside it (drizzle/).
    const sets = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('@outrig/auth'); console.log(JSON.stringify((await m.authMigrations()).map((s) => [s.name, s.migrations.length])));",
      ],
      { cwd: guarded },
    );
    expect(JSON.parse(sets.stdout)).toContainEqual(['auth-service', 1]);

    // A service added later trusts the same issuer: its routes and its gateway prefix need a token.
    passed(await installed(['add', 'service', 'orders-service'], guarded));
    const routes = await readFile(join(guarded, 'services/gateway/src/routes.ts'), 'utf8');
    expect(routes).toContain("{ path: '/api/*/notes', service: 'notes-service', auth: 'required' }");
    expect(routes).toContain("{ path: '/api/*/orders', service: 'orders-service', auth: 'required' }");
    const orders = await readFile(join(guarded, 'services/orders-service/src/service.ts'), 'utf8');
    expect(orders).toContain("auth: { default: 'required', ...options.auth }");

    passed(await npm(['run', 'lint'], guarded));
    passed(await npm(['run', 'typecheck'], guarded));
    const tests = await npm(['test'], guarded);
    passed(tests);
    expect(plain(tests.stdout)).toContain('through-gateway.test.ts');
    expect(plain(tests.stdout)).toMatch(/Tests\s+9 passed/);
  }, 900_000);

  it('outrig add refuses what exists and names what is missing', async () => {
    const again = await installed(['add', 'resource', 'orders-service', 'line-item'], root);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('CLI_FILE_EXISTS');
    const unknown = await installed(['add', 'resource', 'nope-service', 'thing'], root);
    expect(unknown.stderr).toContain('CLI_SERVICE_UNKNOWN');
    expect(unknown.stderr).toContain('notes-service, orders-service');
    const routes = join(root, 'services/orders-service/src/routes/v1.ts');
    await writeFile(routes, (await readFile(routes, 'utf8')).replace('// outrig:routes-v1', ''));
    const marker = await installed(['add', 'resource', 'orders-service', 'coupon', '--dry-run'], root);
    expect(marker.stderr).toContain('CLI_SCAFFOLD_MARKER_MISSING');
    expect(marker.stderr).toContain('// outrig:routes-v1');
  });
});
