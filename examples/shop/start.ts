/**
 * `npm start`: runs the reference system on embedded defaults. Starts one embedded PostgreSQL
 * server (data in examples/shop/.outrig/postgres) with a database per service and a shared
 * `outrig_bus` database for the postgres transport, then every service as its own process;
 * waits until each answers /health, prints a table of URLs, and streams their logs.
 * If a service fails to start, the others are stopped and this exits non-zero with its output.
 * Ctrl-C (or SIGTERM) stops every service gracefully, then the database server.
 *
 * `DATABASE_URL`/`BUS_URL` set in the environment are passed through instead (real servers).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type EmbeddedPostgresServer,
  ensureDatabase,
  ensureEmbeddedPostgres,
  serviceDatabaseName,
} from '@outrig/db';
import { type ServiceSpec, services } from './system.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
const children = new Map<string, ChildProcess>();
const output = new Map<string, string[]>();
let stopping = false;

function formatLine(name: string, line: string): string {
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const { level, time, msg, service: _s, requestId, trace_id: _t, span_id: _sp, ...rest } = entry;
    const extras = Object.entries(rest)
      .filter(([k]) => !['pid', 'hostname'].includes(k))
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    const clock = typeof time === 'string' ? time.slice(11, 19) : '';
    return `${clock} ${name.padEnd(20)} ${String(level).padEnd(5)} ${String(msg)}${requestId ? ` [${requestId}]` : ''} ${extras}`;
  } catch {
    return `${name.padEnd(29)} ${line}`;
  }
}

let embedded: EmbeddedPostgresServer | undefined;
/** Root of the system's local state: embedded PostgreSQL data, the local: registry. */
const home = resolve(process.env.OUTRIG_HOME ?? root);

/** DATABASE_URL and BUS_URL per service: the environment's, or the embedded server's. */
async function databaseEnv(): Promise<(spec: ServiceSpec) => Promise<Record<string, string>>> {
  if (process.env.DATABASE_URL) return async () => ({});
  const dataDir = `${home}/.outrig/postgres`;
  console.log(`Starting embedded PostgreSQL (data in ${dataDir}) …`);
  embedded = await ensureEmbeddedPostgres({ dataDir, port: Number(process.env.OUTRIG_PG_PORT ?? 5488) });
  const server = embedded;
  const bus = process.env.BUS_URL ?? (await ensureDatabase(server.adminUrl, 'outrig_bus')).url;
  return async (spec): Promise<Record<string, string>> =>
    spec.database === false
      ? {}
      : {
          DATABASE_URL: (await ensureDatabase(server.adminUrl, serviceDatabaseName(spec.name))).url,
          BUS_URL: bus,
        };
}

/**
 * Auth (examples/shop/services/auth-service/README.md): every service verifies auth-service's
 * tokens (JWT_*); each gets a client id/secret for the client-credentials grant, generated per
 * run; on embedded defaults (development only) an admin is seeded from SHOP_ADMIN_EMAIL/PASSWORD.
 */
const authUrl = `http://127.0.0.1:${process.env.AUTH_SERVICE_PORT ?? 8001}`;
const clientSecrets = new Map(
  services
    .filter((s) => s.name !== 'auth-service')
    .map((s) => [s.name, randomBytes(24).toString('base64url')]),
);
const devAdmin =
  !process.env.DATABASE_URL && !process.env.SHOP_ADMIN_EMAIL && !process.env.SHOP_ADMIN_PASSWORD;
if (devAdmin) {
  console.log(
    'Seeding the development admin admin@shop.local (password: see the auth-service README; development only)',
  );
}
function authEnv(spec: ServiceSpec): Record<string, string> {
  const env: Record<string, string | undefined> = {
    JWT_ISSUER: process.env.JWT_ISSUER ?? authUrl,
    JWT_AUDIENCE: process.env.JWT_AUDIENCE ?? 'outrig-shop',
  };
  if (spec.name === 'auth-service') {
    env.AUTH_CLIENTS =
      process.env.AUTH_CLIENTS ?? [...clientSecrets].map(([id, secret]) => `${id}:${secret}`).join(',');
    env.SHOP_ADMIN_EMAIL = process.env.SHOP_ADMIN_EMAIL ?? (devAdmin ? 'admin@shop.local' : undefined);
    env.SHOP_ADMIN_PASSWORD =
      process.env.SHOP_ADMIN_PASSWORD ?? (devAdmin ? 'shop-admin-dev-password' : undefined);
  } else {
    env.JWT_JWKS_URL = process.env.JWT_JWKS_URL ?? `${authUrl}/.well-known/jwks.json`;
    env.AUTH_TOKEN_URL = `${authUrl}/api/v1/auth/token`;
    env.AUTH_CLIENT_ID = spec.name;
    env.AUTH_CLIENT_SECRET = clientSecrets.get(spec.name);
  }
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function launch(spec: ServiceSpec, extraEnv: Record<string, string>): { exited: Promise<number | null> } {
  // Tracing starts before the service's own modules (OTEL_* configure export; see the observability guide).
  const child = spawn(process.execPath, ['--import', '@outrig/core/telemetry', 'src/main.ts'], {
    cwd: `${root}services/${spec.dir}`,
    env: {
      ...process.env,
      ...authEnv(spec),
      // One OUTRIG_HOME for all: the local: registry (<home>/.outrig/registry) is shared, so the
      // gateway and the service clients find every instance.
      OUTRIG_HOME: home,
      // Services believe the gateway's X-Forwarded-For (client IPs for per-IP rate limits, logs).
      ...(spec.name === 'gateway' ? {} : { TRUST_PROXY: process.env.TRUST_PROXY ?? '127.0.0.1' }),
      ...extraEnv,
      SERVICE_NAME: spec.name,
      SERVICE_PORT: process.env[`${envName(spec.name)}_PORT`] ?? String(spec.port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(spec.name, child);
  const lines: string[] = [];
  output.set(spec.name, lines);
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      if (started) console.log(formatLine(spec.name, line));
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return { exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

function envName(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}

async function waitHealthy(spec: ServiceSpec, exited: Promise<number | null>): Promise<void> {
  const port = process.env[`${envName(spec.name)}_PORT`] ?? spec.port;
  let dead: number | null | undefined;
  void exited.then((code) => {
    dead = code;
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (dead !== undefined) throw new StartFailure(spec.name, dead);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new StartFailure(spec.name, null);
}

class StartFailure extends Error {
  readonly service: string;
  readonly code: number | null;
  constructor(service: string, code: number | null) {
    super(
      `${service} failed to start${code === null ? ' (no /health within 60 s)' : ` (exit code ${code})`}`,
    );
    this.service = service;
    this.code = code;
  }
}

async function stopAll(): Promise<void> {
  stopping = true;
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
        }),
    ),
  );
  await embedded?.stop();
}

let started = false;

/**
 * After start, a service that exits (crash, kill) is restarted with backoff; its events wait in
 * the bus meanwhile and are handled once it is back (the inbox drops redeliveries).
 */
function supervise(
  spec: ServiceSpec,
  exited: Promise<number | null>,
  env: Record<string, string>,
  restarts: number,
): void {
  void exited.then((code) => {
    if (stopping) return;
    const delay = Math.min(30_000, 1000 * 2 ** Math.min(restarts, 5));
    console.error(`${spec.name} exited (code ${code}); restarting in ${delay / 1000} s`);
    setTimeout(() => {
      if (stopping) return;
      const again = launch(spec, env);
      console.error(`${spec.name} restarted (pid ${children.get(spec.name)?.pid})`);
      supervise(spec, again.exited, env, restarts + 1);
    }, delay).unref();
  });
}
process.on('SIGINT', () => void stopAll().then(() => process.exit(0)));
process.on('SIGTERM', () => void stopAll().then(() => process.exit(0)));

try {
  const envFor = await databaseEnv();
  const launched: { spec: ServiceSpec; exited: Promise<number | null>; env: Record<string, string> }[] = [];
  for (const spec of services) {
    const env = await envFor(spec);
    launched.push({ spec, env, ...launch(spec, env) });
  }
  await Promise.all(launched.map(({ spec, exited }) => waitHealthy(spec, exited)));
  started = true;
  for (const [name, lines] of output) for (const line of lines) console.log(formatLine(name, line));
  console.log('\nOutrig shop is running:\n');
  console.log(`  ${'service'.padEnd(20)} ${'pid'.padEnd(8)} ${'url'.padEnd(26)} docs, metrics`);
  for (const spec of services) {
    const url = `http://127.0.0.1:${process.env[`${envName(spec.name)}_PORT`] ?? spec.port}`;
    const pid = String(children.get(spec.name)?.pid ?? '');
    console.log(`  ${spec.name.padEnd(20)} ${pid.padEnd(8)} ${url.padEnd(26)} ${url}/docs  ${url}/metrics`);
  }
  const gateway = services.find((s) => s.name === 'gateway');
  if (gateway) {
    const port = process.env[`${envName(gateway.name)}_PORT`] ?? gateway.port;
    console.log(`\nThe whole API is reachable through the gateway: http://127.0.0.1:${port}/api/…`);
  }
  console.log('\nPress Ctrl-C to stop. A service that exits is restarted.\n');
  for (const { spec, exited, env } of launched) supervise(spec, exited, env, 0);
} catch (err) {
  if (!(err instanceof StartFailure)) {
    console.error(`\nCould not start the system: ${(err as Error).message}`);
    await stopAll();
    process.exit(1);
  }
  const failure = err;
  console.error(`\n${failure.message}. Its output:\n`);
  for (const line of output.get(failure.service) ?? []) console.error(`  ${line}`);
  await stopAll();
  process.exit(failure.code && failure.code > 0 ? failure.code : 1);
}
