import { CircuitBreaker, type CircuitState } from './circuit-breaker.ts';
import { type OutlierSettings, type PoolSettings, UpstreamInstance } from './upstream-instance.ts';

/** An instance as a registry lists it (`@outrig/discovery`'s `ServiceInstance` fits). */
export interface InstanceRecord {
  readonly id: string;
  readonly url: string;
  readonly meta?: Readonly<Record<string, string>>;
}

/**
 * Where the gateway finds instances: `@outrig/discovery`'s `Registry` satisfies it.
 * `watch` calls back with the full healthy list soon after it is called and on every change.
 */
export interface InstanceSource {
  list(name: string): Promise<InstanceRecord[]>;
  watch(name: string, onChange: (instances: InstanceRecord[]) => void): () => void;
}

export interface UpstreamOptions {
  pool: PoolSettings;
  outlier: OutlierSettings;
  breaker: { threshold: number; recoveryMs: number };
  /** Told about breaker changes, ejections and instance-list changes (metrics, logs). */
  events?: UpstreamEvents;
}

export interface UpstreamEvents {
  circuit?(service: string, state: CircuitState): void;
  ejected?(service: string, instanceId: string): void;
  instances?(service: string, count: number): void;
}

/**
 * One upstream service: its instances (kept current by the registry's watch), round-robin
 * selection that skips ejected instances, and the service's circuit breaker.
 */
export class Upstream {
  readonly name: string;
  readonly breaker: CircuitBreaker;
  /** Healthy instances, in registry order. Replaced (never mutated) on change. */
  instances: readonly UpstreamInstance[] = [];
  #meta: readonly (Readonly<Record<string, string>> | undefined)[] = [];
  #next = 0;
  #loaded = false;
  #firstList: Promise<void>;
  #resolveFirst!: () => void;
  #stopWatch: (() => void) | undefined;
  readonly #o: UpstreamOptions;

  constructor(name: string, options: UpstreamOptions) {
    this.name = name;
    this.#o = options;
    this.breaker = new CircuitBreaker({
      ...options.breaker,
      onStateChange: (state) => options.events?.circuit?.(name, state),
    });
    this.#firstList = new Promise((resolve) => {
      this.#resolveFirst = resolve;
    });
  }

  /** Starts following the registry. */
  watch(source: InstanceSource): void {
    this.#stopWatch = source.watch(this.name, (list) => this.update(list));
  }

  /** Whether the first instance list has arrived. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** Resolves when the first list has arrived, or after `timeoutMs`. */
  async waitForInstances(timeoutMs: number): Promise<void> {
    if (this.#loaded) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#firstList,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Replaces the instance list, keeping the pools (and outlier state) of instances that stay. */
  update(list: readonly InstanceRecord[]): void {
    const old = new Map(this.instances.map((i) => [`${i.id} ${i.url}`, i]));
    const next = list.map((r) => {
      const key = `${r.id} ${r.url}`;
      const kept = old.get(key);
      old.delete(key);
      return kept ?? new UpstreamInstance(r, this.#o.pool);
    });
    this.instances = next;
    this.#meta = list.map((r) => r.meta);
    for (const gone of old.values()) void gone.close();
    this.#o.events?.instances?.(this.name, next.length);
    if (!this.#loaded) {
      this.#loaded = true;
      this.#resolveFirst();
    }
  }

  /**
   * The next instance in round-robin order that is not ejected and not `exclude` (an instance
   * that just failed, when retrying). When every instance is ejected, ejection is ignored rather
   * than failing every request (Envoy's panic threshold): the breaker then decides.
   */
  pick(exclude?: UpstreamInstance): UpstreamInstance | undefined {
    const list = this.instances;
    const n = list.length;
    if (n === 0) return undefined;
    if (n === 1) return list[0];
    const now = Date.now();
    let fallback: UpstreamInstance | undefined;
    for (let i = 0; i < n; i++) {
      const candidate = list[this.#next]!;
      this.#next = this.#next + 1 >= n ? 0 : this.#next + 1;
      if (candidate === exclude) continue;
      if (candidate.available(now)) return candidate;
      if (!fallback || candidate.ejectedUntil < fallback.ejectedUntil) fallback = candidate;
    }
    return fallback ?? exclude;
  }

  /** Records a failed attempt on `instance` (outlier ejection) and on the service (breaker). */
  failure(instance: UpstreamInstance): void {
    if (instance.failure(this.#o.outlier, Date.now())) this.#o.events?.ejected?.(this.name, instance.id);
    this.breaker.failure();
  }

  success(instance: UpstreamInstance): void {
    instance.success();
    this.breaker.success();
  }

  /**
   * The API version unversioned requests go to: the lowest `latest` any instance publishes in
   * its registry metadata (during a rolling deploy every instance can serve it); `undefined`
   * when none publishes one.
   */
  latestVersion(): number | undefined {
    let latest: number | undefined;
    for (const meta of this.#meta) {
      const n = Number(meta?.latest?.replace(/^v/, ''));
      if (Number.isInteger(n) && n > 0 && (latest === undefined || n < latest)) latest = n;
    }
    return latest;
  }

  /** Metadata of the current instances (for `/api/versions`). */
  metadata(): readonly (Readonly<Record<string, string>> | undefined)[] {
    return this.#meta;
  }

  async close(): Promise<void> {
    this.#stopWatch?.();
    const instances = this.instances;
    this.instances = [];
    await Promise.all(instances.map((i) => i.close()));
  }
}
