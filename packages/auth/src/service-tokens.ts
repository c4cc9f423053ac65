import type { ClientRegistry } from './clients/client-registry.ts';
import { AuthErrors } from './errors.ts';
import type { AccessTokenIssuer } from './tokens/access-token-issuer.ts';

/** What the client-credentials grant returns (no refresh token: clients ask again). */
export interface ServiceToken {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly tokenType: 'Bearer';
}

/**
 * The client-credentials grant: a configured client (AUTH_CLIENTS) gets a token with
 * `sub: service:<id>`, `roles: ['service']`, its scopes, and no tenant.
 */
export class ServiceTokens {
  readonly #clients: ClientRegistry;
  readonly #issuer: AccessTokenIssuer;

  constructor(clients: ClientRegistry, issuer: AccessTokenIssuer) {
    this.#clients = clients;
    this.#issuer = issuer;
  }

  /** Throws `CLIENT_CREDENTIALS_INVALID` for an unknown client or a wrong secret. */
  async issue(clientId: string, clientSecret: string): Promise<ServiceToken> {
    const client = this.#clients.authenticate(clientId, clientSecret);
    if (!client) throw AuthErrors.CLIENT_CREDENTIALS_INVALID();
    const token = await this.#issuer.issue({
      sub: `service:${client.id}`,
      roles: ['service'],
      scopes: client.scopes,
    });
    return { ...token, tokenType: 'Bearer' };
  }
}
