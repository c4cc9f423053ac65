import { CoreErrors } from '../errors.ts';
import type { InstanceSource, ServiceInstanceRef } from './instance-source.ts';

/** Where the balancer gets its instances: a source (registry) or a fixed list (environment). */
export type InstanceProvider =
  | { kind: 'source'; source: InstanceSource }
  | { kind: 'static'; list: () => ServiceInstanceRef[] };

export interface InstanceBalancerOptions {
  target: string;
  provider: () => InstanceProvider;
  /** Consecutive failures that eject an instance. */
  outlierFailures: number;
  /** How long an ejected instance is skipped. */
  outlierCooldownMs: number;
  /** Cache lifetime of a `list()` answer when the source cannot be watched. */
  ttlMs: number;
}

interface Health {
  failures: number;
  ejectedUntil: number;
}

/**
 * Round robin over the instances of one target, skipping outliers: an instance that failed
 * `outlierFailures` times in a row (connection error, timeout, 5xx) is ejected for
 * `outlierCooldownMs`; after the cool-down it gets traffic again, and one more failure ejects it
 * again (one success resets it). When every instance is ejected, all of them are used (better a
 * likely failure than a certain one; the circuit breaker limits the damage).
 *
 * The instance list is cached: kept current by `watch` when the source has one, otherwise
 * re-read after `ttlMs`. A failed refresh keeps serving the last known list.
 */
export class InstanceBalancer {
  readonly #options: InstanceBalancerOptions;
  readonly #health = new Map<string, Health>();
  #instances: ServiceInstanceRef[] | undefined;
  #loadedAt = 0;
  #refreshing: Promise<ServiceInstanceRef[]> | undefined;
  #unwatch: (() => void) | undefined;
  #watching = false;
  #next = 0;

  constructor(options: InstanceBalancerOptions) {
    this.#options = options;
  }

  /** The next instance to call, preferring healthy ones not in `exclude` (ids already tried). */
  async pick(exclude: ReadonlySet<string>): Promise<ServiceInstanceRef> {
    const instances = await this.#current();
    if (instances.length === 0) {
      throw CoreErrors.SERVICE_NO_INSTANCES({
        params: { target: this.#options.target },
        details: { target: this.#options.target },
      });
    }
    const now = Date.now();
    const healthy = instances.filter((i) => (this.#health.get(i.id)?.ejectedUntil ?? 0) <= now);
    const pool = healthy.length > 0 ? healthy : instances;
    const fresh = pool.filter((i) => !exclude.has(i.id));
    const candidates = fresh.length > 0 ? fresh : pool;
    const picked = candidates[this.#next++ % candidates.length]!;
    if (this.#next >= Number.MAX_SAFE_INTEGER) this.#next = 0;
    return picked;
  }

  /** Records a successful exchange (any answer below 500). */
  success(instance: ServiceInstanceRef): void {
    const health = this.#health.get(instance.id);
    if (health) {
      health.failures = 0;
      health.ejectedUntil = 0;
    }
  }

  /** Records a failed exchange; ejects the instance at the threshold. */
  failure(instance: ServiceInstanceRef): void {
    let health = this.#health.get(instance.id);
    if (!health) {
      health = { failures: 0, ejectedUntil: 0 };
      this.#health.set(instance.id, health);
    }
    health.failures++;
    if (health.failures >= this.#options.outlierFailures) {
      health.ejectedUntil = Date.now() + this.#options.outlierCooldownMs;
    }
  }

  /** Ids of instances skipped right now. */
  ejected(): string[] {
    const now = Date.now();
    return [...this.#health].filter(([, h]) => h.ejectedUntil > now).map(([id]) => id);
  }

  /** Forgets the cached list and stops watching (the provider changed, or shutdown). */
  reset(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#watching = false;
    this.#instances = undefined;
    this.#refreshing = undefined;
    this.#loadedAt = 0;
  }

  async #current(): Promise<ServiceInstanceRef[]> {
    const provider = this.#options.provider();
    if (provider.kind === 'static') return provider.list();
    if (this.#instances && (this.#watching || Date.now() - this.#loadedAt < this.#options.ttlMs)) {
      return this.#instances;
    }
    this.#refreshing ??= this.#load(provider.source).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #load(source: InstanceSource): Promise<ServiceInstanceRef[]> {
    const { target } = this.#options;
    if (source.watch && !this.#unwatch) {
      this.#unwatch = source.watch(target, (instances) => this.#set(instances));
      this.#watching = true;
      if (this.#instances) return this.#instances;
    }
    try {
      const instances = await source.list(target);
      // A watch may have delivered a newer list while list() was in flight: keep that one.
      if (!(this.#watching && this.#instances)) this.#set(instances);
      return this.#instances ?? instances;
    } catch (err) {
      if (this.#instances) return this.#instances;
      throw CoreErrors.SERVICE_NO_INSTANCES({ params: { target }, details: { target }, cause: err });
    }
  }

  #set(instances: ServiceInstanceRef[]): void {
    this.#instances = instances.map((i) => ({ id: i.id, url: i.url, meta: i.meta }));
    this.#loadedAt = Date.now();
    const ids = new Set(instances.map((i) => i.id));
    for (const id of this.#health.keys()) if (!ids.has(id)) this.#health.delete(id);
  }
}
