import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTestIssuer } from './test-issuer.ts';

describe('createTestIssuer', () => {
  it('signs tokens its keys verify, with the claims asked for; another issuer is refused', async () => {
    const issuer = await createTestIssuer({ audience: 'outrig-acme' });
    const token = await issuer.token({ roles: ['admin'], tenant: null, scope: 'a b' });
    const { payload, protectedHeader } = await jwtVerify(token, issuer.keys, {
      issuer: issuer.env.JWT_ISSUER,
      audience: 'outrig-acme',
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: issuer.jwks.keys[0]!.kid });
    expect(payload).toMatchObject({ roles: ['admin'], scope: 'a b' });
    expect(payload.tenant).toBeUndefined();
    const other = await createTestIssuer();
    await expect(jwtVerify(await other.token(), issuer.keys)).rejects.toThrow();
  });
});
