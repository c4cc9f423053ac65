import type { SqlClient, SqlTransaction } from '@outrig/db';
import { generateSigningKey } from './signing-key.ts';

/** Serialises key changes across processes (rotation command, service instances at start). */
const KEYS_LOCK = 0x0a17_5e6e;

/** Added to the access-token TTL: how long a retired key stays published (clock skew, caches). */
export const KEY_RETENTION_MARGIN_S = 300;

/**
 * How long a new key is published before it signs: verifiers refresh their JWKS in the
 * background every 300 s (the JWKS `max-age`, and @outrig/core's default), plus a margin.
 */
export const KEY_ACTIVATION_DELAY_S = 360;

export interface RotateSigningKeysOptions {
  /**
   * How long a retired key stays in the JWKS after it stops signing, in seconds: at least the
   * access-token TTL, so that tokens it signed verify until they expire. Default 900 + 300.
   */
  keepS?: number;
  /**
   * Seconds until the new key signs (it is published at once). Default 360 (0 when no key
   * signs yet). `0` switches at once:
   * for a compromised key, accepting that verifiers which fetched the JWKS moments ago refuse
   * new tokens until their refetch cooldown has passed.
   */
  activateInS?: number;
}

export interface RotateSigningKeysResult {
  /** kid of the new key. */
  readonly kid: string;
  /** When it starts signing (database clock). */
  readonly activatesAt: Date;
  /** Seconds from the rotation to `activatesAt` (0: it signs at once). */
  readonly activatesInS: number;
  /** kids of the keys it replaces (they sign until `activatesAt`, then stay published `keepS`). */
  readonly retired: readonly string[];
  /** kids of keys past their retention, deleted (their private keys are gone). */
  readonly deleted: readonly string[];
}

/** Inserts a new key signing from `activatesAt` (a timestamptz as text; null = now). */
async function insertKey(
  tx: SqlTransaction,
  activatesAt: string | null,
): Promise<{ kid: string; activatesAt: Date }> {
  const key = await generateSigningKey();
  const { rows } = await tx.query<{ activates_at: Date }>(
    `INSERT INTO signing_keys (kid, public_jwk, private_jwk, activates_at)
     VALUES ($1, $2, $3, coalesce($4::timestamptz, clock_timestamp())) RETURNING activates_at`,
    [key.kid, JSON.stringify(key.publicJwk), JSON.stringify(key.privateJwk), activatesAt],
  );
  return { kid: key.kid, activatesAt: rows[0]!.activates_at };
}

/**
 * Rotates the ES256 signing key in one transaction: publishes a new key now, which signs from
 * `activateInS` on; the keys it replaces sign until then and stay published `keepS` longer;
 * keys past their retention are deleted. Running auth-service instances publish the new key at
 * once and sign with it within `AUTH_KEY_CACHE_MS` of its activation — no restart.
 * `npm run auth:rotate-keys` calls this.
 *
 * @example
 * const { kid, activatesAt } = await rotateSigningKeys(sql, { keepS: 900 + 300 });
 */
export async function rotateSigningKeys(
  sql: SqlClient,
  options: RotateSigningKeysOptions = {},
): Promise<RotateSigningKeysResult> {
  const keepS = options.keepS ?? 900 + KEY_RETENTION_MARGIN_S;
  const activateInS = options.activateInS ?? KEY_ACTIVATION_DELAY_S;
  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [KEYS_LOCK]);
    const deleted = await tx.query<{ kid: string }>(
      'DELETE FROM signing_keys WHERE expires_at < clock_timestamp() RETURNING kid',
    );
    // One instant: the replaced keys stop signing exactly when the new one starts.
    const { rows } = await tx.query<{ at: string }>(
      'SELECT (clock_timestamp() + make_interval(secs => $1))::text AS at',
      [activateInS],
    );
    const at = rows[0]!.at;
    const retired = await tx.query<{ kid: string }>(
      `UPDATE signing_keys SET retired_at = $1::timestamptz,
         expires_at = $1::timestamptz + make_interval(secs => $2)
       WHERE retired_at IS NULL RETURNING kid`,
      [at, keepS],
    );
    // Nothing signs yet (fresh database): no verifier can hold a stale key set, start at once.
    const activatesInS = retired.rows.length === 0 ? 0 : activateInS;
    const { kid, activatesAt } = await insertKey(tx, activatesInS === 0 ? null : at);
    return {
      kid,
      activatesAt,
      activatesInS,
      retired: retired.rows.map((r) => r.kid),
      deleted: deleted.rows.map((r) => r.kid),
    };
  });
}

/**
 * Makes sure a key can sign now (creates the first one, active at once). Safe when several
 * instances start together: the key table is locked while checking.
 */
export async function ensureSigningKey(sql: SqlClient): Promise<{ kid: string; created: boolean }> {
  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [KEYS_LOCK]);
    const { rows } = await tx.query<{ kid: string }>(`SELECT kid FROM signing_keys ${CURRENT_KEY}`);
    if (rows[0]) return { kid: rows[0].kid, created: false };
    return { kid: (await insertKey(tx, null)).kid, created: true };
  });
}

/** WHERE … ORDER BY … LIMIT 1 selecting the key that signs now. */
export const CURRENT_KEY = `WHERE activates_at <= clock_timestamp()
    AND (retired_at IS NULL OR retired_at > clock_timestamp())
  ORDER BY activates_at DESC LIMIT 1`;
