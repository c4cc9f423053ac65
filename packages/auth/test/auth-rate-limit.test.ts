import { serverAvailable } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, post, startAuthService } from './harness.ts';

const hasPg = await serverAvailable('postgres');
let h: AuthHarness;
beforeAll(async () => {
  if (hasPg) h = await startAuthService('auth_rate', { AUTH_CREDENTIALS_RATE_LIMIT: '3' });
});
afterAll(() => h?.close());

describe.skipIf(!hasPg)('auth-service: credential routes have a stricter rate limit', () => {
  it('the 4th login from one client within a minute is 429 RATE_LIMITED, whatever the account', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await post(h.service, '/api/v1/auth/login', { email: `u${i}@example.com`, password: 'x' });
      expect(res.statusCode).toBe(401);
    }
    const limited = await post(h.service, '/api/v1/auth/login', { email: 'u9@example.com', password: 'x' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Refresh is not a credential route: it keeps the service-wide limit.
    const refresh = await post(h.service, '/api/v1/auth/refresh', { refreshToken: 'unknown' });
    expect(refresh.statusCode).toBe(401);
  });
});
