import type { Etcd3, Lease } from 'etcd3';
import type { Registration, ServiceInstance } from '../registry.ts';

export interface EtcdRegistrationOptions {
  client: Etcd3;
  key: string;
  instance: ServiceInstance;
  ttlSeconds: number;
  onError?: (err: unknown) => void;
  onEnd: (registration: Registration) => void;
}

/**
 * One instance under a lease with automatic keep-alive. When the lease is lost (etcd
 * unreachable past the TTL, or the process was paused and the lease expired) the instance is
 * written again under a new lease, retrying with backoff until it succeeds or is deregistered.
 */
export class EtcdRegistration implements Registration {
  readonly instance: ServiceInstance;
  readonly #o: EtcdRegistrationOptions;
  readonly #value: string;
  #lease: Lease | undefined;
  #active = true;
  #establishing = false;
  #failures = 0;
  #retry: NodeJS.Timeout | undefined;

  private constructor(options: EtcdRegistrationOptions) {
    this.#o = options;
    this.instance = options.instance;
    this.#value = JSON.stringify(options.instance);
  }

  /** Resolves once the key is written under a granted lease; rejects with the etcd error. */
  static async create(options: EtcdRegistrationOptions): Promise<EtcdRegistration> {
    const registration = new EtcdRegistration(options);
    await registration.#establish();
    return registration;
  }

  async deregister(): Promise<void> {
    if (!this.#active) return;
    this.#active = false;
    clearTimeout(this.#retry);
    this.#o.onEnd(this);
    const lease = this.#lease;
    this.#lease = undefined;
    // Revoking deletes the key at once; watchers see the delete.
    if (lease) await lease.revoke();
  }

  async #establish(): Promise<void> {
    this.#establishing = true;
    const lease = this.#o.client.lease(this.#o.ttlSeconds);
    this.#lease = lease;
    lease.on('lost', (err) => this.#lost(lease, err));
    try {
      await lease.put(this.#o.key).value(this.#value).exec();
      if (!this.#active) await lease.revoke().catch(() => lease.release());
    } catch (err) {
      if (this.#lease === lease) this.#lease = undefined;
      lease.release();
      throw err;
    } finally {
      this.#establishing = false;
    }
  }

  #lost(lease: Lease, err: unknown): void {
    if (!this.#active || this.#establishing || lease !== this.#lease) return;
    this.#lease = undefined;
    this.#o.onError?.(err);
    this.#scheduleRetry(0);
  }

  #scheduleRetry(delayMs: number): void {
    clearTimeout(this.#retry);
    if (!this.#active) return;
    this.#retry = setTimeout(async () => {
      if (!this.#active) return;
      try {
        await this.#establish();
        this.#failures = 0;
      } catch (err) {
        this.#o.onError?.(err);
        this.#failures++;
        this.#scheduleRetry(Math.min(10_000, 250 * 2 ** Math.min(this.#failures, 6)));
      }
    }, delayMs);
    this.#retry.unref();
  }
}
