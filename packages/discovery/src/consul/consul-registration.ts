import type { Registration, ServiceInstance } from '../registry.ts';
import type { ConsulApi } from './consul-api.ts';
import { HTTPS_TAG } from './consul-health.ts';

export interface ConsulRegistrationOptions {
  api: ConsulApi;
  instance: ServiceInstance;
  healthUrl: string;
  /** Check interval and timeout, whole seconds. */
  intervalSeconds: number;
  timeoutSeconds: number;
  /** Go duration: how long the check may stay critical before Consul deregisters the service. */
  deregisterCriticalAfter: string;
  /** How often to verify the agent still has the service (re-registering if not). */
  resyncMs: number;
  onError?: (err: unknown) => void;
  onEnd: (registration: Registration) => void;
}

/**
 * A service registered with the local agent, with an HTTP check on its health URL. Consul runs
 * the check; a service whose check stays critical longer than `DeregisterCriticalServiceAfter` is
 * removed by Consul — so the registration periodically asks the agent for it and registers again
 * when it is gone (a paused process that resumed, an agent that lost its state).
 */
export class ConsulRegistration implements Registration {
  readonly instance: ServiceInstance;
  readonly #o: ConsulRegistrationOptions;
  #active = true;
  #timer: NodeJS.Timeout | undefined;

  private constructor(options: ConsulRegistrationOptions) {
    this.#o = options;
    this.instance = options.instance;
  }

  static async create(options: ConsulRegistrationOptions): Promise<ConsulRegistration> {
    const registration = new ConsulRegistration(options);
    await registration.#register();
    registration.#scheduleResync();
    return registration;
  }

  async deregister(): Promise<void> {
    if (!this.#active) return;
    this.#active = false;
    clearTimeout(this.#timer);
    this.#o.onEnd(this);
    // 404: the agent already forgot it (deregistered as critical): nothing left to remove.
    await this.#o.api.call('PUT', `/v1/agent/service/deregister/${encodeURIComponent(this.instance.id)}`, {
      accept: [200, 404],
    });
  }

  /** `PUT /v1/agent/service/register` body, as documented by Consul's agent API. */
  body(): Record<string, unknown> {
    const { instance: i, healthUrl } = this.#o;
    const u = new URL(i.url);
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    return {
      ID: i.id,
      Name: i.name,
      Address: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      Port: port,
      Meta: i.meta,
      Tags: u.protocol === 'https:' ? [HTTPS_TAG] : [],
      Check: {
        Name: `${i.name} health`,
        HTTP: healthUrl,
        Method: 'GET',
        Interval: `${this.#o.intervalSeconds}s`,
        Timeout: `${this.#o.timeoutSeconds}s`,
        DeregisterCriticalServiceAfter: this.#o.deregisterCriticalAfter,
      },
    };
  }

  async #register(): Promise<void> {
    await this.#o.api.call('PUT', '/v1/agent/service/register?replace-existing-checks=true', {
      body: this.body(),
    });
  }

  #scheduleResync(): void {
    if (!this.#active) return;
    this.#timer = setTimeout(async () => {
      try {
        const res = await this.#o.api.call(
          'GET',
          `/v1/agent/service/${encodeURIComponent(this.instance.id)}`,
          {
            accept: [200, 404],
          },
        );
        if (res.status === 404 && this.#active) await this.#register();
      } catch (err) {
        this.#o.onError?.(err);
      }
      this.#scheduleResync();
    }, this.#o.resyncMs);
    this.#timer.unref();
  }
}
