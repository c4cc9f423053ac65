/**
 * `outrig dev` for real: the bin as its own process on a small fixture system (a service without
 * a database, one with) in a temporary folder, on free ports, with its own embedded PostgreSQL.
 * Reload on a change, restart after a kill, Ctrl-C leaving nothing behind, two systems at once.
 * Slow-ish: every system initialises an embedded server (seconds to tens of seconds here).
 */
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { eventually, freePort } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, copyFixture, DevProcess, postmasterPid, removeFixture } from './support/dev-process.ts';

const hello = async (port: number) =>
  (
    (await (await fetch(`http://127.0.0.1:${port}/api/v1/hello`)).json()) as {
      data: { greeting: string; env: string; pid: number };
    }
  ).data;
const where = async (port: number) =>
  (
    (await (await fetch(`http://127.0.0.1:${port}/api/v1/where`)).json()) as {
      data: { dataDir: string; database: string };
    }
  ).data;

describe('outrig dev (real processes, embedded PostgreSQL)', () => {
  let dir: string;
  let dev: DevProcess;
  const ports = { greeter: 0, keeper: 0 };

  beforeAll(async () => {
    dir = await copyFixture('devfix');
    ports.greeter = await freePort();
    ports.keeper = await freePort();
    dev = new DevProcess(
      ['--json'],
      {
        GREETER_PORT: String(ports.greeter),
        KEEPER_PORT: String(ports.keeper),
        OUTRIG_PG_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      dir,
    );
    await dev.waitFor('running', undefined, 1, 150_000);
  }, 180_000);

  afterAll(async () => {
    await dev?.stop('SIGKILL');
    await removeFixture(dir);
  });

  it('starts every service with its database and outrig.json env, printing only JSON lines', async () => {
    expect(
      dev
        .events('started')
        .map((e) => e.service)
        .sort(),
    ).toEqual(['greeter', 'keeper']);
    expect(
      dev
        .events('ready')
        .map((e) => e.service)
        .sort(),
    ).toEqual(['greeter', 'keeper']);
    expect((await hello(ports.greeter)).env).toBe('from outrig.json');
    const db = await where(ports.keeper);
    expect(db).toMatchObject({ database: 'keeper', dataDir: path.join(dir, '.outrig', 'postgres') });
  });

  it('serves the dashboard, and points the services at its trace receiver', async () => {
    const [dashboard] = dev.events('dashboard');
    expect(dashboard).toMatchObject({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      otlp: true,
    });
    const page = await fetch(String(dashboard!.url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Outrig dashboard</title>');
    const info = (await (await fetch(`${dashboard!.url}/api/info`)).json()) as {
      system: string;
      services: string[];
    };
    expect(info).toMatchObject({ system: 'devfix', services: ['greeter', 'keeper'] });
    // Every service answers with tracing on: its spans reach the dashboard's receiver.
    await hello(ports.greeter);
    await eventually('a span of greeter', async () => {
      const { traces } = (await (await fetch(`${dashboard!.url}/api/traces?service=greeter`)).json()) as {
        traces: unknown[];
      };
      return traces.length > 0 ? true : undefined;
    });
  });

  it('reloads a service when one of its files changes: the next request sees the change', async () => {
    const before = await hello(ports.greeter);
    expect(before.greeting).toBe('hello');
    // The warm standby started once the service was up takes over: its own files load fresh.
    const standby = await dev.waitFor('standby', 'greeter', 1, 60_000);
    expect(standby.pid).not.toBe(before.pid);
    await writeFile(
      path.join(dir, 'services/greeter/src/greeting.ts'),
      "export const greeting = 'changed';\n",
    );
    const reloaded = await dev.waitFor('reloaded', 'greeter', 1, 60_000);
    expect(reloaded.file).toBe(path.join('src', 'greeting.ts'));
    const after = await hello(ports.greeter);
    expect(after.greeting).toBe('changed');
    expect(after.pid).toBe(standby.pid);
    expect(reloaded.pid).toBe(standby.pid);
    // A test file is not the service's code: no reload.
    await writeFile(
      path.join(dir, 'services/greeter/src/greeting.test.ts'),
      '// not loaded by the service\n',
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(dev.events('reloaded', 'greeter')).toHaveLength(1);
  }, 90_000);

  it('restarts a service that was killed', async () => {
    const { pid } = await hello(ports.greeter);
    process.kill(pid, 'SIGKILL');
    const exited = await dev.waitFor('exited', 'greeter', 1, 30_000);
    expect(exited).toMatchObject({ pid, signal: 'SIGKILL' });
    const restarted = await dev.waitFor('restarted', 'greeter', 1, 60_000);
    await dev.waitFor('ready', 'greeter', 2, 60_000);
    expect((await hello(ports.greeter)).pid).toBe(restarted.pid);
  }, 120_000);

  it('Ctrl-C (SIGINT) stops every service and the database server, then exits 0', async () => {
    const pg = await postmasterPid(path.join(dir, '.outrig', 'postgres'));
    const greeter = (await hello(ports.greeter)).pid;
    const keeper = dev.events('ready', 'keeper').at(-1)!.pid!;
    // The standbys waiting to take over (one per service) go too.
    const standbys = [
      (await dev.waitFor('standby', 'keeper', 1, 60_000)).pid!,
      (await dev.waitFor('standby', 'greeter', 3, 60_000)).pid!,
    ];
    expect([alive(pg), alive(greeter), alive(keeper), ...standbys.map(alive)]).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(await dev.stop('SIGINT')).toBe(0);
    expect(dev.lines.at(-1)?.event).toBe('stopped');
    expect([alive(pg), alive(greeter), alive(keeper), ...standbys.map(alive)]).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  }, 60_000);
});

describe('outrig dev: two systems at once, failures', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await removeFixture(d);
  });

  it('never shares a database server: the second system moves to a free port, or fails naming both folders', async () => {
    const first = await copyFixture('first');
    const second = await copyFixture('second');
    dirs.push(first, second);
    const env = async () => ({
      GREETER_PORT: String(await freePort()),
      KEEPER_PORT: String(await freePort()),
    });
    const a = new DevProcess(
      ['--json', '--only', 'keeper'],
      { ...(await env()), OUTRIG_PG_PORT: '0' },
      first,
    );
    try {
      const db = await a.waitFor('database', undefined, 1, 150_000);
      await a.waitFor('running', undefined, 1, 150_000);
      const taken = String(db.port);
      // Asked for that port explicitly: a coded error naming both data directories.
      const strict = new DevProcess(
        ['--only', 'keeper'],
        { ...(await env()), OUTRIG_PG_PORT: taken },
        second,
      );
      expect(await strict.exited).toBe(1);
      expect(strict.stderr).toContain('DB_EMBEDDED_PORT_IN_USE');
      expect(strict.stderr).toContain(path.join(first, '.outrig', 'postgres'));
      expect(strict.stderr).toContain(path.join(second, '.outrig', 'postgres'));
      // The port from outrig.json (not asked for): a free one, remembered for the next run.
      const json = JSON.parse(await readFile(path.join(second, 'outrig.json'), 'utf8'));
      json.dev = { postgresPort: Number(taken) };
      await writeFile(path.join(second, 'outrig.json'), JSON.stringify(json));
      const ports = await env();
      const b = new DevProcess(['--json', '--only', 'keeper'], ports, second);
      try {
        const moved = await b.waitFor('database', undefined, 1, 150_000);
        expect(moved.port).not.toBe(db.port);
        await b.waitFor('running', undefined, 1, 150_000);
        expect(await where(Number(ports.KEEPER_PORT))).toMatchObject({
          dataDir: path.join(second, '.outrig', 'postgres'),
        });
        expect((await readFile(path.join(second, '.outrig', 'postgres.port'), 'utf8')).trim()).toBe(
          String(moved.port),
        );
      } finally {
        expect(await b.stop()).toBe(0);
      }
    } finally {
      expect(await a.stop()).toBe(0);
    }
  }, 400_000);

  it('a service that cannot start stops the others, shows its output and exits non-zero', async () => {
    const dir = await copyFixture('broken');
    dirs.push(dir);
    const dev = new DevProcess(
      [],
      { GREETER_PORT: String(await freePort()), KEEPER_PORT: '0', OUTRIG_PG_PORT: '0', LOG_LEVEL: 'loud' },
      dir,
    );
    expect(await dev.exited).toBe(1);
    const out = dev.stdout + dev.stderr;
    expect(out).toMatch(/(greeter|keeper) failed to start \(exit code 78\)\. Its output:/);
    expect(out).toContain('LOG_LEVEL="loud" is invalid');
    expect(dev.stderr).toContain('error: CLI_DEV_START_FAILED:');
  }, 150_000);

  it('--start-timeout: a service without /health in time is a failed start', async () => {
    const dir = await copyFixture('timeout');
    dirs.push(dir);
    const dev = new DevProcess(
      ['--only', 'greeter', '--start-timeout', '0.2'],
      { GREETER_PORT: String(await freePort()) },
      dir,
    );
    expect(await dev.exited).toBe(1);
    expect(dev.stderr).toContain('CLI_DEV_START_FAILED: greeter failed to start (no /health within 0.2 s)');
  }, 60_000);

  it('the dashboard: refused under NODE_ENV=production when asked for, a taken port asked for is an error', async () => {
    const dir = await copyFixture('dashboard');
    dirs.push(dir);
    const refused = new DevProcess(['--dashboard-port', '0'], { NODE_ENV: 'production' }, dir);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr).toContain('error: CLI_DASHBOARD_REFUSED:');
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const dev = new DevProcess(
        ['--only', 'greeter'],
        { GREETER_PORT: String(await freePort()), OUTRIG_DASHBOARD_PORT: String(port) },
        dir,
      );
      expect(await dev.exited).toBe(1);
      expect(dev.stderr).toContain(
        `error: CLI_DASHBOARD_PORT_IN_USE: The dashboard cannot listen on 127.0.0.1:${port}`,
      );
    } finally {
      taken.close();
    }
  }, 60_000);

  it('--only with an unknown service is a coded error naming the services', async () => {
    const dir = await copyFixture('unknown');
    dirs.push(dir);
    const dev = new DevProcess(['--only', 'greeter,nope'], {}, dir);
    expect(await dev.exited).toBe(1);
    expect(dev.stderr).toMatch(
      /CLI_SERVICE_UNKNOWN: No service nope in .*outrig.json: the services are greeter, keeper/,
    );
  });
});
