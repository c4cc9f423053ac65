import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** The only algorithm this service signs with (contract: ES256, P-256). */
export const SIGNING_ALG = 'ES256';

/** A public key as published in the JWKS. */
export interface PublicSigningJwk extends JWK {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: typeof SIGNING_ALG;
  use: 'sig';
}

/** A freshly generated key pair, as stored in `signing_keys`. */
export interface GeneratedSigningKey {
  readonly kid: string;
  readonly publicJwk: PublicSigningJwk;
  readonly privateJwk: JWK;
}

/** Generates an ES256 (P-256) key pair; `kid` is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKey(): Promise<GeneratedSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  const publicJwk: PublicSigningJwk = {
    kty: 'EC',
    crv: 'P-256',
    x: pub.x!,
    y: pub.y!,
    kid,
    alg: SIGNING_ALG,
    use: 'sig',
  };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG, use: 'sig' };
  return { kid, publicJwk, privateJwk };
}
