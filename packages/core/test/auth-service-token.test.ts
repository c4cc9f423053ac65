import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServiceTokenSource, isOutrigError, type ServiceTokenSourceOptions } from '../src/index.ts';

const SECRET = 's3cret-value-never-logged';

/** A client-credentials endpoint shaped like auth-service's `POST /api/v1/auth/token`. */
let server: Server;
let tokenUrl: string;
let issued = 0;
let bodies: unknown[] = [];
let failWith: number | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = JSON.parse(raw) as { client_secret?: string };
      bodies.push(body);
      res.setHeader('content-type', 'application/json');
      if (failWith !== undefined) {
        res.writeHead(failWith).end(JSON.stringify({ error: { code: 'UPSTREAM_DOWN', message: 'x' } }));
        return;
      }
      if (req.method !== 'POST' || body.client_secret !== SECRET) {
        res.writeHead(401).end(JSON.stringify({ error: { code: 'INVALID_CLIENT', message: 'bad client' } }));
        return;
      }
      issued++;
      res.end(
        JSON.stringify({ data: { accessToken: `token-${issued}`, expiresIn: 60, tokenType: 'Bearer' } }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/auth/token`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  issued = 0;
  bodies = [];
  failWith = undefined;
});

/** A source on a clock the test moves. */
function source(options: Partial<ServiceTokenSourceOptions> = {}) {
  const clock = { now: 1_000_000 };
  const tokens = createServiceTokenSource({
    tokenUrl,
    clientId: 'order-service',
    clientSecret: SECRET,
    now: () => clock.now,
    ...options,
  });
  return { tokens, clock };
}

describe('createServiceTokenSource', () => {
  it('posts the client-credentials grant of the contract', async () => {
    const { tokens } = source();
    expect(await tokens.authorization()).toBe('Bearer token-1');
    expect(bodies).toEqual([
      { grant_type: 'client_credentials', client_id: 'order-service', client_secret: SECRET },
    ]);
  });

  it('fetches once and caches', async () => {
    const { tokens, clock } = source();
    expect(await tokens.token()).toBe('token-1');
    clock.now += 10_000;
    expect(await tokens.token()).toBe('token-1');
    expect(await tokens.token()).toBe('token-1');
    expect(issued).toBe(1);
  });

  it('shares one request between concurrent callers (single flight)', async () => {
    const { tokens } = source();
    const all = await Promise.all(Array.from({ length: 10 }, () => tokens.token()));
    expect(new Set(all)).toEqual(new Set(['token-1']));
    expect(issued).toBe(1);
  });

  it('refreshes before expiry (at most half the lifetime before) and after it', async () => {
    const { tokens, clock } = source({ refreshBeforeMs: 10_000 });
    expect(await tokens.token()).toBe('token-1');
    clock.now += 49_000; // 11 s left: still fresh
    expect(await tokens.token()).toBe('token-1');
    clock.now += 2_000; // 9 s left: inside the refresh margin
    expect(await tokens.token()).toBe('token-2');
    clock.now += 61_000; // token-2 expired
    expect(await tokens.token()).toBe('token-3');
    expect(issued).toBe(3);
  });

  it('keeps using a still-valid token when the refresh fails, and fails once it expired', async () => {
    const { tokens, clock } = source();
    expect(await tokens.token()).toBe('token-1');
    failWith = 503;
    clock.now += 45_000; // inside the margin (half of 60 s), not expired
    expect(await tokens.token()).toBe('token-1');
    clock.now += 20_000; // expired
    const err = await tokens.token().catch((e: unknown) => e);
    expect(isOutrigError(err, 'SERVICE_TOKEN_FAILED')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    expect((err as Error).message).toContain('503 UPSTREAM_DOWN');
  });

  it('invalidate() forgets the token', async () => {
    const { tokens } = source();
    await tokens.token();
    tokens.invalidate();
    expect(await tokens.token()).toBe('token-2');
  });

  it('rejects bad credentials as not retryable, without the secret in the error', async () => {
    const { tokens } = source({ clientSecret: 'wrong-secret-value' });
    const err = await tokens.token().catch((e: unknown) => e);
    expect(isOutrigError(err, 'SERVICE_TOKEN_FAILED')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(false);
    expect((err as Error).message).toContain('401 INVALID_CLIENT');
    expect(JSON.stringify(err)).not.toContain('wrong-secret-value');
    expect((err as Error).message).not.toContain('wrong-secret-value');
  });

  it('rejects an unreachable endpoint as retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { tokens } = source({ tokenUrl: `http://127.0.0.1:${port}/token` });
    const err = await tokens.token().catch((e: unknown) => e);
    expect(isOutrigError(err, 'SERVICE_TOKEN_FAILED')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
  });

  it('validates its options at creation', () => {
    expect(() => createServiceTokenSource({ tokenUrl: 'ftp://x', clientId: 'a', clientSecret: 'b' })).toThrow(
      /tokenUrl/,
    );
    expect(() => createServiceTokenSource({ tokenUrl, clientId: '', clientSecret: '' })).toThrow(
      /clientId is required; clientSecret is required/,
    );
  });
});
