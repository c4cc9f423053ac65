import { isOutrigError } from '@outrig/core/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../src/index.ts';
import { answer, startUpstream, type Upstream } from './client-upstream.ts';
import { logCapture } from './helpers.ts';

// AUTH_TOKEN_URL + AUTH_CLIENT_ID + AUTH_CLIENT_SECRET: the service client calls in the
// service's own name with a client-credentials token, fetched once and cached.

const SECRET = 'client-secret-never-sent-to-callees';
let issuer: Upstream;
let callee: Upstream;

beforeAll(async () => {
  issuer = await startUpstream();
  let issued = 0;
  issuer.behave((hit, res) => {
    const body = JSON.parse(hit.body) as { client_id?: string; client_secret?: string };
    if (body.client_id !== 'order-service' || body.client_secret !== SECRET) {
      return answer.error(401, 'CLIENT_CREDENTIALS_INVALID')(hit, res);
    }
    issued++;
    return answer.data({ accessToken: `service-token-${issued}`, expiresIn: 900, tokenType: 'Bearer' })(
      hit,
      res,
    );
  });
  callee = await startUpstream();
  callee.behave(answer.data({ ok: true }));
});
afterAll(async () => {
  await issuer.close();
  await callee.close();
});

const env = (extra: Record<string, string> = {}) => ({
  INVENTORY_SERVICE_URL: callee.url,
  AUTH_TOKEN_URL: `${issuer.url}/api/v1/auth/token`,
  AUTH_CLIENT_ID: 'order-service',
  AUTH_CLIENT_SECRET: SECRET,
  ...extra,
});

describe('service tokens from AUTH_TOKEN_URL / AUTH_CLIENT_ID / AUTH_CLIENT_SECRET', () => {
  it('sends a service token on calls in the service’s own name, fetched once', async () => {
    const logs = logCapture();
    const service = createService({ name: 'order-service', env: env(), logStream: logs.stream });
    try {
      expect(service.serviceToken).toBeDefined();
      const client = service.client('inventory-service');
      const before = callee.hits.length;
      for (let i = 0; i < 3; i++) await client.get('/api/v1/products');
      const auth = callee.hits.slice(before).map((h) => h.headers.authorization);
      expect(auth).toEqual(['Bearer service-token-1', 'Bearer service-token-1', 'Bearer service-token-1']);
      expect(issuer.hits).toHaveLength(1);
      // The secret goes to the issuer only, never to a callee or a log line.
      expect(callee.hits.some((h) => JSON.stringify(h).includes(SECRET))).toBe(false);
      expect(JSON.stringify(logs.lines())).not.toContain(SECRET);
    } finally {
      await service.stop();
    }
  });

  it("a caller's own token wins over the service token", async () => {
    const service = createService({ name: 'order-service', env: env(), logStream: logCapture().stream });
    try {
      const before = callee.hits.length;
      const caller = { id: 'req-1', principal: { token: 'caller-token' } };
      await service
        .client('inventory-service')
        .forRequest(caller as never)
        .get('/api/v1/products');
      expect(callee.hits[before]?.headers.authorization).toBe('Bearer caller-token');
    } finally {
      await service.stop();
    }
  });

  it('without the variables, calls carry no token', async () => {
    const service = createService({
      name: 'order-service',
      env: { INVENTORY_SERVICE_URL: callee.url },
      logStream: logCapture().stream,
    });
    try {
      expect(service.serviceToken).toBeUndefined();
      const before = callee.hits.length;
      await service.client('inventory-service').get('/api/v1/products');
      expect(callee.hits[before]?.headers.authorization).toBeUndefined();
    } finally {
      await service.stop();
    }
  });

  it('stops at start with CONFIG_INVALID naming what is missing when only some are set', () => {
    const err = (() => {
      try {
        createService({
          name: 'order-service',
          env: { AUTH_TOKEN_URL: `${issuer.url}/api/v1/auth/token`, AUTH_CLIENT_ID: 'order-service' },
          logStream: logCapture().stream,
        });
      } catch (e) {
        return e;
      }
    })();
    expect(isOutrigError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('AUTH_CLIENT_SECRET');
  });
});
