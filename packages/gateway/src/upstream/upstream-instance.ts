import { Pool } from 'undici';

/** Connection settings of the pool the gateway keeps per upstream instance. */
export interface PoolSettings {
  /** Most connections to one instance. */
  connections: number;
  /** Requests in flight per connection (1 = no HTTP/1.1 pipelining). */
  pipelining: number;
  /** How long an idle keep-alive connection is kept. */
  keepAliveMs: number;
}

/** Outlier ejection: consecutive failures that take an instance out, and for how long. */
export interface OutlierSettings {
  failures: number;
  cooldownMs: number;
}

/**
 * One instance of an upstream service: its undici pool (keep-alive connections, reused across
 * requests) and its outlier state. An instance with `failures` consecutive failed attempts is
 * ejected for `cooldownMs`, then gets traffic again (one more failure ejects it again).
 */
export class UpstreamInstance {
  readonly id: string;
  readonly url: string;
  readonly pool: Pool;
  #failures = 0;
  ejectedUntil = 0;

  constructor(instance: { id: string; url: string }, settings: PoolSettings) {
    this.id = instance.id;
    this.url = instance.url;
    this.pool = new Pool(instance.url, {
      connections: settings.connections,
      pipelining: settings.pipelining,
      keepAliveTimeout: settings.keepAliveMs,
      keepAliveMaxTimeout: settings.keepAliveMs,
      // Per-request timeouts are set on each dispatch (route timeoutMs).
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  /** Whether the instance takes traffic at `now` (not ejected). */
  available(now: number): boolean {
    return this.ejectedUntil <= now;
  }

  success(): void {
    this.#failures = 0;
  }

  /** Counts a failure; returns true when this one ejected the instance. */
  failure(outlier: OutlierSettings, now: number): boolean {
    if (++this.#failures < outlier.failures) return false;
    this.#failures = 0;
    this.ejectedUntil = now + outlier.cooldownMs;
    return true;
  }

  close(): Promise<void> {
    return this.pool.close().catch(() => this.pool.destroy());
  }
}
