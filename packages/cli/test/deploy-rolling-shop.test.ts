import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDevCerts } from '../src/deploy/deploy-certs.ts';
import {
  freePort,
  type HaproxyHarness,
  replaceInstance,
  startHaproxyHarness,
  waitFor,
} from './support/haproxy-harness.ts';

// The shop's inventory-service (its database, outbox and relay on the postgres bus), two
// instances behind the rendered HAProxy config with mTLS, replaced one at a time under load
// (product reads and creations): no request fails, and every product created has its
// product.created event on the bus once the new instances' relays have run — nothing the old
// instances committed is lost when they stop.

const exec = promisify(execFile);
const HAPROXY = process.env.HAPROXY ?? 'haproxy';
const PG_URL = process.env.OUTRIG_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SERVICE_DIR = path.resolve(import.meta.dirname, '../../../examples/shop/services/inventory-service');
const BACKEND = 'inventory-service';

let dir: string;
let certs: string;
let database: string | undefined;
let databaseUrl: string;
let h: HaproxyHarness | undefined;
let jwks: Server | undefined;
let jwtEnv: Record<string, string> = {};
let token = '';
let ready = true;
const instances = new Map<number, ChildProcess>();

async function sql<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

async function startIssuer(): Promise<void> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwks?.listen(0, '127.0.0.1', resolve));
  const { port } = jwks.address() as { port: number };
  jwtEnv = {
    JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    JWT_ISSUER: 'http://auth.test',
    JWT_AUDIENCE: 'outrig-shop',
  };
  token = await new SignJWT({ roles: ['admin'], tenant: 'default' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
    .setSubject('admin')
    .setIssuer('http://auth.test')
    .setAudience('outrig-shop')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
}

async function startInstance(slots: readonly number[], slot: number): Promise<ChildProcess> {
  const healthPort = await freePort();
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: SERVICE_DIR,
    env: {
      PATH: process.env.PATH,
      ...jwtEnv,
      SERVICE_PORT: String(slots[slot]),
      HEALTH_PORT: String(healthPort),
      DATABASE_URL: databaseUrl,
      BUS_URL: databaseUrl,
      REGISTRY_URL: 'static:nobody=http://127.0.0.1:9',
      AUTO_REGISTER_SERVICE: 'false',
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      TLS_CERT_FILE: path.join(certs, `${BACKEND}.crt`),
      TLS_KEY_FILE: path.join(certs, `${BACKEND}.key`),
      TLS_CLIENT_CA_FILE: path.join(certs, 'ca.pem'),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  instances.set(slot, child);
  await waitFor(
    `instance on slot ${slot + 1} ready`,
    async () => (await fetch(`http://127.0.0.1:${healthPort}/ready`)).status === 200,
    60_000,
  );
  return child;
}

interface Answer {
  status: number;
  body: string;
}

function call(agent: Agent, ca: Buffer, method: string, pathname: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: h?.edgePort,
        path: pathname,
        method,
        ca,
        agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

beforeAll(async () => {
  const haproxy = await exec(HAPROXY, ['-v']).then(
    () => true,
    () => false,
  );
  const postgres = await sql(PG_URL, 'SELECT 1').then(
    () => true,
    () => false,
  );
  if (!haproxy || !postgres) {
    if (process.env.CI)
      throw new Error(`needs ${haproxy ? '' : 'haproxy '}${postgres ? '' : `PostgreSQL at ${PG_URL}`}`);
    ready = false;
    return;
  }
  dir = await mkdtemp(path.join(tmpdir(), 'outrig-rolling-shop-'));
  certs = path.join(dir, 'certs');
  await makeDevCerts({ dir: certs, caName: 'test CA', names: ['edge', 'haproxy-client', BACKEND] });
  await startIssuer();
  database = `deploy_rolling_${randomBytes(4).toString('hex')}`;
  await sql(PG_URL, `CREATE DATABASE ${database}`);
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  databaseUrl = url.href;
  h = await startHaproxyHarness({
    haproxy: HAPROXY,
    dir,
    certs,
    backend: BACKEND,
    routes: [{ path: '/api/*/products', service: BACKEND }],
    slots: 3,
    spare: [2],
    beforeStart: async (slots) => {
      await startInstance(slots, 0);
      await startInstance(slots, 1);
    },
  });
}, 120_000);

afterAll(async () => {
  for (const child of instances.values()) if (child.exitCode === null) child.kill('SIGKILL');
  await h?.stop();
  await new Promise<void>((resolve) => (jwks ? jwks.close(() => resolve()) : resolve()));
  if (database) await sql(PG_URL, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('rolling restart of the shop’s inventory-service through HAProxy', () => {
  it('no failed request, and every created product’s event reaches the bus', async (ctx) => {
    if (!ready || !h) return ctx.skip();
    const harness = h;
    const ca = await readFile(path.join(certs, 'ca.pem'));
    const agent = new Agent({ keepAlive: true, maxSockets: 6 });
    let n = 0;
    const create = () =>
      call(agent, ca, 'POST', '/api/v2/products?tenant=default', {
        name: `product ${n}`,
        sku: `SKU-${process.pid}-${n++}`,
        stock: 5,
        price: { amount: 1999, currency: 'EUR' },
      });
    const seed = await create();
    expect(seed.status, seed.body).toBe(201);
    const seedId = (JSON.parse(seed.body) as { data: { id: string } }).data.id;
    const created: string[] = [seedId];
    const failed: string[] = [];
    let reads = 0;
    let done = false;
    const worker = async (i: number) => {
      for (let k = 0; !done; k++) {
        const write = (k + i) % 2 === 1;
        const answer = await (write
          ? create()
          : call(agent, ca, 'GET', `/api/v2/products/${seedId}?tenant=default`)
        ).catch((err: Error) => ({ status: 0, body: err.message }));
        if (answer.status === (write ? 201 : 200)) {
          if (write) created.push((JSON.parse(answer.body) as { data: { id: string } }).data.id);
          else reads += 1;
        } else {
          failed.push(`${write ? 'POST' : 'GET'} ${answer.status} ${answer.body.slice(0, 200)}`);
        }
      }
    };
    const traffic = Promise.all([0, 1, 2, 3, 4, 5].map(worker));
    await new Promise((r) => setTimeout(r, 1000));
    for (const [from, to] of [
      [0, 2],
      [1, 0],
    ] as const) {
      const code = await replaceInstance(
        harness,
        BACKEND,
        instances.get(from) as ChildProcess,
        from,
        to,
        () => startInstance(harness.slots, to),
      );
      expect(code).toBe(0);
    }
    await new Promise((r) => setTimeout(r, 1000));
    done = true;
    await traffic;
    agent.destroy();
    console.log(
      `inventory-service rolling restart: ${created.length} created, ${reads} reads, ${failed.length} failed`,
    );
    expect(failed).toEqual([]);
    expect(created.length).toBeGreaterThan(1);
    let onBus = 0;
    await waitFor(
      'every product.created on the bus',
      async () => {
        const rows = await sql<{ n: string }>(
          databaseUrl,
          `SELECT count(DISTINCT key) AS n FROM outrig_bus.log WHERE topic = 'product.events' AND key = ANY($1) AND event->>'type' = 'product.created'`,
          [created],
        );
        onBus = Number(rows[0]?.n);
        return onBus === created.length;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${onBus} of ${created.length}`);
    });
    const pending = await sql<{ n: string }>(
      databaseUrl,
      `SELECT count(*) AS n FROM outbox WHERE state <> 'delivered'`,
    );
    expect(Number(pending[0]?.n)).toBe(0);
  }, 300_000);
});
