import type { Principal } from './principal.ts';

/**
 * Verified tokens remembered for a short time: an ES256 verification costs about 75 µs, more
 * than the rest of the kit's work per request, and a client sends the same token many times.
 * An entry lives until `min(exp, now + ttl)`, so a cached token never outlives its expiry and a
 * key removed from the JWKS stops being trusted within `ttl`. Only verified tokens are stored;
 * the oldest entry is evicted when full.
 */
export class VerificationCache {
  readonly #ttlMs: number;
  readonly #size: number;
  readonly #entries = new Map<string, { principal: Principal; until: number }>();

  constructor(ttlMs: number, size: number) {
    this.#ttlMs = ttlMs;
    this.#size = size;
  }

  get(token: string): Principal | undefined {
    if (this.#ttlMs <= 0) return undefined;
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (entry.until > Date.now()) return entry.principal;
    this.#entries.delete(token);
    return undefined;
  }

  set(token: string, principal: Principal, expiresAtMs: number): void {
    if (this.#ttlMs <= 0 || this.#size <= 0) return;
    const until = Math.min(expiresAtMs, Date.now() + this.#ttlMs);
    if (this.#entries.size >= this.#size) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, { principal, until });
  }
}
