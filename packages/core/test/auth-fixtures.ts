import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';

export const ISSUER = 'http://127.0.0.1:8001';
export const AUDIENCE = 'outrig-shop';

/** An ES256 key pair as auth-service makes them: `kid` = RFC 7638 thumbprint. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function signingKey(kid?: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const id = kid ?? (await calculateJwkThumbprint(jwk));
  return { kid: id, privateKey, publicJwk: { ...jwk, kid: id, alg: 'ES256', use: 'sig' } };
}

/** Signs an access token per the contract; `claims`/`header` override the defaults. */
export async function accessToken(
  key: SigningKey,
  claims: JWTPayload & { roles?: string[]; scope?: string; tenant?: string } = {},
  header: { kid?: string; typ?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + 900,
    jti: randomUUID(),
    roles: ['user'],
    tenant: 'tenant-a',
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid: header.kid ?? key.kid, typ: header.typ ?? 'at+jwt' })
    .sign(key.privateKey);
}

/** A JWKS endpoint that counts its requests; `keys` can change (rotation). */
export interface JwksServer {
  readonly url: string;
  keys: JWK[];
  /** Requests served so far. */
  readonly requests: number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let requests = 0;
  const state = { keys };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    requests++;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' });
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get keys() {
      return state.keys;
    },
    set keys(next: JWK[]) {
      state.keys = next;
    },
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The env a verifying service needs for `jwks`. */
export function jwtEnv(jwks: { url: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    JWT_JWKS_URL: jwks.url,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    RATE_LIMIT_ENABLED: 'false',
    ...extra,
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
