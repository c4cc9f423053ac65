import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, freePort, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestIssuer, type TestIssuer } from '../../../test/support/tokens.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

function start(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  let out = '';
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('JWT_')));
  const child = spawn(process.execPath, [MAIN], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exit };
}

async function waitHealthy(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('service did not become healthy');
}

const hasPg = await serverAvailable('postgres');
let db: TestDatabase;
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
  if (hasPg) db = await createTestDatabase('inventory_process');
});
afterAll(async () => {
  await db?.drop();
  await issuer?.close();
});

describe('inventory-service as a process', () => {
  it('exits 78 naming SERVICE_PORT when it is not a port', async () => {
    const p = start({ SERVICE_PORT: 'abc' });
    expect(await p.exit).toBe(78);
    expect(p.output()).toContain('SERVICE_PORT="abc" is invalid: expected an integer between 0 and 65535');
  });

  it('exits 78 naming LOG_LEVEL when it is unknown', async () => {
    const p = start({ SERVICE_PORT: '0', LOG_LEVEL: 'loud' });
    expect(await p.exit).toBe(78);
    expect(p.output()).toContain('LOG_LEVEL="loud" is invalid');
  });

  it.skipIf(!hasPg)('exits 78 naming JWT_JWKS_URL when it is unset: its writes need tokens', async () => {
    const p = start({ SERVICE_PORT: '0', DATABASE_URL: db.url, BUS_URL: 'memory:' });
    expect(await p.exit).toBe(78);
    expect(p.output()).toContain('JWT_JWKS_URL is required');
  });

  it.skipIf(!hasPg)(
    'serves over real HTTP and, on SIGTERM, finishes a slow request then exits 0',
    async () => {
      const port = await freePort();
      const p = start({
        SERVICE_PORT: String(port),
        LOG_LEVEL: 'info',
        DATABASE_URL: db.url,
        BUS_URL: 'memory:',
        ...issuer.env,
      });
      await waitHealthy(port);
      const admin = bearer(await issuer.admin());

      const live = await fetch(`http://127.0.0.1:${port}/api/v2/products`, {
        headers: { 'x-request-id': 'real-1' },
      });
      expect(live.status).toBe(200);
      expect(live.headers.get('x-request-id')).toBe('real-1');

      // A slow upload: the body trickles in; SIGTERM arrives while the request is in flight.
      const body = JSON.stringify({
        name: 'Slow',
        sku: 'SLOW-1',
        stock: 1,
        price: { amount: 5, currency: 'USD' },
      });
      const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/api/v2/products',
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              ...admin,
            },
          },
          (res) => {
            let data = '';
            res.on('data', (d) => (data += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => {
          p.child.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(10)), 400);
        }, 200);
      });
      const res = await response;
      expect(res.status).toBe(201);
      expect(JSON.parse(res.body).data.name).toBe('Slow');
      expect(await p.exit).toBe(0);
      expect(p.output()).toContain('shutting down');
      // No new connections after shutdown.
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    },
  );
});
