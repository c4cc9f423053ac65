import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthErrors } from '../errors.ts';

/** A client of the client-credentials grant. */
export interface ServiceClient {
  readonly id: string;
  /** Scopes its tokens carry. */
  readonly scopes: readonly string[];
}

/** Secrets shorter than this are refused at start. */
export const CLIENT_SECRET_MIN_LENGTH = 16;

const ID = /^[A-Za-z0-9][\w.-]{0,63}$/;
const SCOPE = /^[!#-+\--9;-[\]-~]+$/; // RFC 6749 scope-token without ',' and ':'

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The clients allowed to get service tokens, parsed from `AUTH_CLIENTS`
 * (`id:secret[:scope scope …]`, comma-separated). Secrets are kept only as sha256 digests and
 * compared in constant time; errors name the entry and client id, never the secret.
 */
export class ClientRegistry {
  readonly #clients: Map<string, { client: ServiceClient; secret: Buffer }>;
  readonly #decoy = digest(randomBytes(32).toString('hex'));

  private constructor(clients: Map<string, { client: ServiceClient; secret: Buffer }>) {
    this.#clients = clients;
  }

  /** Parses `AUTH_CLIENTS`. Throws `AUTH_CLIENTS_INVALID` (at start) for a malformed entry. */
  static parse(raw: string | undefined): ClientRegistry {
    const clients = new Map<string, { client: ServiceClient; secret: Buffer }>();
    const entries = (raw ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    entries.forEach((entry, i) => {
      const [id = '', secret = '', scopes = '', ...rest] = entry.split(':');
      const fail = (reason: string) =>
        AuthErrors.AUTH_CLIENTS_INVALID({ params: { reason: `entry ${i + 1}: ${reason}` } });
      if (!ID.test(id)) throw fail('the client id must be letters, digits, ., _ or - (at most 64)');
      if (rest.length > 0) throw fail(`client ${id}: expected id:secret[:scopes] (no further ':')`);
      if (secret.length < CLIENT_SECRET_MIN_LENGTH) {
        throw fail(`client ${id}: the secret must be at least ${CLIENT_SECRET_MIN_LENGTH} characters`);
      }
      const list = scopes.split(' ').filter(Boolean);
      if (!list.every((s) => SCOPE.test(s))) throw fail(`client ${id}: a scope has a forbidden character`);
      if (clients.has(id)) throw fail(`client ${id} is listed twice`);
      clients.set(id, { client: { id, scopes: list }, secret: digest(secret) });
    });
    return new ClientRegistry(clients);
  }

  /** Number of configured clients. */
  get size(): number {
    return this.#clients.size;
  }

  /** The client when `secret` is its secret; undefined otherwise (same work either way). */
  authenticate(id: string, secret: string): ServiceClient | undefined {
    const entry = this.#clients.get(id);
    const ok = timingSafeEqual(digest(secret), entry?.secret ?? this.#decoy);
    return ok && entry ? entry.client : undefined;
  }
}
