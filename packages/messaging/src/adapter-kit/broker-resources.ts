import type { Subscription } from '../broker.ts';

/**
 * What a broker adapter keeps track of for `close()`: its open subscriptions and the publishes
 * in flight. `close()` calls {@link drain} first — every subscription closed, then every
 * publish settled — before it closes its connections.
 *
 * @example
 * readonly #resources = new BrokerResources();
 * publish(messages) {
 *   if (this.#resources.closing) return Promise.reject(MyErrors.MY_BROKER_CLOSED());
 *   return this.#resources.track(this.#publish(messages));
 * }
 * async subscribe(topics, options, handler) {
 *   if (this.#resources.closing) throw MyErrors.MY_BROKER_CLOSED();
 *   const inner = await openSubscription(topics, options, handler);
 *   return this.#resources.adopt(inner, () => MyErrors.MY_BROKER_CLOSED());
 * }
 * close() {
 *   this.#closing ??= this.#resources.drain().then(() => this.#connection.close());
 *   return this.#closing;
 * }
 */
export class BrokerResources {
  readonly #subscriptions = new Set<Subscription>();
  readonly #publishes = new Set<Promise<unknown>>();
  #closing = false;

  /** True once {@link drain} was called: no new publishes or subscriptions. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Tracks a publish until it settles; resolves or rejects like it. */
  track<T>(publishing: Promise<T>): Promise<T> {
    this.#publishes.add(publishing);
    return publishing.finally(() => this.#publishes.delete(publishing));
  }

  /**
   * Takes a subscription the adapter just opened. If {@link drain} began while it was being
   * opened, closes it (no workers left behind) and throws `closed()`. Otherwise returns the
   * subscription to hand out: its `close()` also forgets it here.
   */
  async adopt(inner: Subscription, closed: () => Error): Promise<Subscription> {
    if (this.#closing) {
      await inner.close();
      throw closed();
    }
    const subscription: Subscription = {
      close: async () => {
        this.#subscriptions.delete(subscription);
        await inner.close();
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** Marks closing, closes every subscription, then waits for the publishes in flight. */
  async drain(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#subscriptions].map((s) => s.close()));
    await Promise.allSettled([...this.#publishes]);
  }
}
