import type { ServiceApp } from '@outrig/core';
import type { SigningKeys } from '../keys/signing-key-store.ts';
import { Jwks } from '../schemas/auth.ts';

/**
 * `GET /.well-known/jwks.json`: the public keys verifiers need, current key first, not in the
 * envelope, cacheable for 5 minutes (verifiers refetch sooner when they meet an unknown `kid`).
 */
export function registerJwksRoute(app: ServiceApp, keys: SigningKeys): void {
  // As a plugin, so that it loads after the OpenAPI plugin and appears in /openapi.json.
  app.register(async (instance) => {
    (instance as ServiceApp).get(
      '/.well-known/jwks.json',
      {
        config: { envelope: false, auth: 'none' },
        schema: {
          summary: 'JSON Web Key Set of the token signing keys',
          tags: ['keys'],
          response: { 200: Jwks },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=300');
        return keys.jwks();
      },
    );
  });
}
