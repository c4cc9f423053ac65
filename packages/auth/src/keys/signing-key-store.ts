import type { SqlClient } from '@outrig/db';
import { type CryptoKey, createLocalJWKSet, importJWK, type JWK, type JWTVerifyGetKey } from 'jose';
import { AuthErrors } from '../errors.ts';
import { CURRENT_KEY } from './rotate-signing-keys.ts';
import { type PublicSigningJwk, SIGNING_ALG } from './signing-key.ts';

/** The key tokens are signed with now. */
export interface CurrentSigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
}

export interface SigningKeyStoreOptions {
  /** How long the current key is cached (ms). A rotated key is used at most this late. */
  readonly cacheMs: number;
  /** Retired keys stay published at least this long after retirement (s): access TTL + margin. */
  readonly keepS: number;
}

/**
 * Where the service gets its keys: the one to sign with now, and the published set. Both may be
 * called concurrently; `jwks()` must list a key before `current()` returns it.
 */
export interface SigningKeys {
  /** The key to sign with now. `SIGNING_KEY_UNAVAILABLE` when there is none. */
  current(): Promise<CurrentSigningKey>;
  /** The published key set (the JWKS), current key first. */
  jwks(): Promise<{ keys: PublicSigningJwk[] }>;
  /** A jose key resolver over {@link jwks}: the service verifies its own tokens with it. */
  readonly verificationKey: JWTVerifyGetKey;
}

/**
 * Reads signing keys from the service database. The current key is cached for `cacheMs` (so a
 * key made by `npm run auth:rotate-keys` is picked up without restart); the JWKS is read fresh,
 * so a new key is published no later than any instance signs with it.
 */
export class SigningKeyStore implements SigningKeys {
  readonly #sql: SqlClient;
  readonly #options: SigningKeyStoreOptions;
  #current: { key: CurrentSigningKey; at: number } | undefined;
  #loading: Promise<CurrentSigningKey> | undefined;

  constructor(sql: SqlClient, options: SigningKeyStoreOptions) {
    this.#sql = sql;
    this.#options = options;
  }

  /** The key to sign with: the newest activated key not retired. */
  current(): Promise<CurrentSigningKey> {
    const cached = this.#current;
    if (cached && Date.now() - cached.at < this.#options.cacheMs) return Promise.resolve(cached.key);
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /**
   * The published key set: the current key first, then retired keys still within retention,
   * then a key that will sign soon (published ahead, so verifiers know it when it starts).
   * Read from the database on every call (one small indexed query; clients cache it for 5 min),
   * never cached here: a key must be published before any instance can sign with it.
   */
  async jwks(): Promise<{ keys: PublicSigningJwk[] }> {
    const { rows } = await this.#sql.query<{ public_jwk: PublicSigningJwk }>(
      `SELECT public_jwk FROM signing_keys
       WHERE retired_at IS NULL
          OR expires_at > clock_timestamp()
          OR retired_at + make_interval(secs => $1) > clock_timestamp()
       ORDER BY activates_at <= clock_timestamp() DESC, activates_at DESC`,
      [this.#options.keepS],
    );
    return { keys: rows.map((r) => r.public_jwk) };
  }

  /**
   * A jose key resolver over the published keys, so this service verifies its own tokens
   * (`createService({ auth: { keys } })`) without an HTTP round trip to itself.
   */
  readonly verificationKey: JWTVerifyGetKey = async (header, token) =>
    createLocalJWKSet(await this.jwks())(header, token);

  async #load(): Promise<CurrentSigningKey> {
    const { rows } = await this.#sql.query<{ kid: string; private_jwk: JWK }>(
      `SELECT kid, private_jwk FROM signing_keys ${CURRENT_KEY}`,
    );
    const row = rows[0];
    if (!row) throw AuthErrors.SIGNING_KEY_UNAVAILABLE();
    const previous = this.#current?.key;
    const key =
      previous?.kid === row.kid
        ? previous
        : { kid: row.kid, privateKey: (await importJWK(row.private_jwk, SIGNING_ALG)) as CryptoKey };
    this.#current = { key, at: Date.now() };
    return key;
  }
}
