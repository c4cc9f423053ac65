import type { Upstream } from '../upstream/upstream.ts';

/** A fetched document, or why there is none. */
export type FetchedDocument = { ok: true; value: unknown } | { ok: false; reason: string };

interface Entry {
  result: FetchedDocument;
  at: number;
  refreshing: Promise<FetchedDocument> | undefined;
}

/**
 * JSON documents the gateway reads from its services (`/openapi.json`, `/api/versions`), fetched
 * from one instance (round robin) and cached for `ttlMs`. A stale entry is served while it is
 * refreshed in the background; a failed refresh keeps the last good document.
 */
export class ServiceDocuments {
  readonly #path: string;
  readonly #ttlMs: number;
  readonly #timeoutMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(path: string, options: { ttlMs: number; timeoutMs?: number }) {
    this.#path = path;
    this.#ttlMs = options.ttlMs;
    this.#timeoutMs = options.timeoutMs ?? 3000;
  }

  /** The service's document: cached, refreshed when older than the TTL. */
  async get(upstream: Upstream): Promise<FetchedDocument> {
    const entry = this.#entries.get(upstream.name);
    if (entry && Date.now() - entry.at < this.#ttlMs) return entry.result;
    if (entry?.result.ok) {
      this.#refresh(upstream, entry);
      return entry.result;
    }
    const fresh = entry ?? {
      result: { ok: false as const, reason: 'not fetched yet' },
      at: 0,
      refreshing: undefined,
    };
    this.#entries.set(upstream.name, fresh);
    return this.#refresh(upstream, fresh);
  }

  #refresh(upstream: Upstream, entry: Entry): Promise<FetchedDocument> {
    entry.refreshing ??= this.#fetch(upstream).then((result) => {
      if (result.ok || !entry.result.ok) entry.result = result;
      entry.at = Date.now();
      entry.refreshing = undefined;
      return entry.result;
    });
    return entry.refreshing;
  }

  async #fetch(upstream: Upstream): Promise<FetchedDocument> {
    await upstream.waitForInstances(this.#timeoutMs);
    const instance = upstream.pick();
    if (!instance) return { ok: false, reason: 'no instance in the registry' };
    try {
      const res = await instance.pool.request({
        path: this.#path,
        method: 'GET',
        headers: { accept: 'application/json' },
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return { ok: false, reason: `${this.#path} answered ${res.statusCode}` };
      }
      return { ok: true, value: await res.body.json() };
    } catch (err) {
      return { ok: false, reason: `${this.#path}: ${(err as Error).message}` };
    }
  }
}
