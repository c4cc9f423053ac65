import { DiscoveryErrors } from '../errors.ts';
import type { Registration, Registry } from '../registry.ts';

/**
 * What an adapter must release at `close()`: its live registrations (deregistered) and its
 * watches (stopped), and whether it is closed (calls then fail with `REGISTRY_CLOSED`).
 */
export class RegistryResources {
  readonly #kind: Registry['kind'];
  readonly #live = new Set<Registration>();
  readonly #stops = new Set<() => void>();
  #closed = false;

  constructor(kind: Registry['kind']) {
    this.#kind = kind;
  }

  /** Throws `REGISTRY_CLOSED` once `close()` ran. */
  ensureOpen(): void {
    if (this.#closed) throw DiscoveryErrors.REGISTRY_CLOSED({ params: { kind: this.#kind } });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Tracks a registration until it ends (`ended`) or the registry closes. */
  registered(registration: Registration): void {
    this.#live.add(registration);
  }

  ended(registration: Registration): void {
    this.#live.delete(registration);
  }

  /** Tracks a watch; returns its stop function, which also forgets it. */
  watching(stopWatch: () => void): () => void {
    const stop = () => {
      stopWatch();
      this.#stops.delete(stop);
    };
    this.#stops.add(stop);
    return stop;
  }

  /** Stops every watch and deregisters every live registration. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of [...this.#stops]) stop();
    await Promise.allSettled([...this.#live].map((r) => r.deregister()));
  }
}
