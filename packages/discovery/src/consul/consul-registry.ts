import { DiscoveryErrors } from '../errors.ts';
import { checkServiceName, checkTtl, sortInstances, toInstance } from '../internal/instance.ts';
import { RegistryResources } from '../internal/registry-resources.ts';
import type { InstanceRegistration, Registration, Registry, ServiceInstance } from '../registry.ts';
import { ConsulApi } from './consul-api.ts';
import { instancesFromHealth } from './consul-health.ts';
import { ConsulRegistration } from './consul-registration.ts';
import { watchConsulService } from './consul-watch.ts';

export interface ConsulRegistryOptions {
  /** The Consul agent's HTTP API, `http://127.0.0.1:8500`. */
  url: string;
  /** ACL token (`X-Consul-Token`). */
  token?: string;
  /** Datacenter for list and watch (default: the agent's). */
  datacenter?: string;
  /** Default TTL, seconds: the health check runs every third of it (≥ 1 s). Default 10. */
  ttlSeconds?: number;
  /**
   * How long a check may stay critical before Consul removes the service (Go duration). Default
   * `1m`, Consul's minimum; the agent reaps every 30 s, so removal takes up to 30 s more.
   */
  deregisterCriticalAfter?: string;
  /** Blocking-query wait of `watch`, seconds (Consul caps it at 600). Default 60. */
  waitSeconds?: number;
  /** Deadline of every other call. Default 5000 ms. */
  callTimeoutMs?: number;
  /** How often a registration checks the agent still has it. Default 30 000 ms. */
  resyncMs?: number;
  /** Told about failed watches and re-registrations (all retried). */
  onError?: (err: unknown) => void;
}

const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

/**
 * Consul registry through the local agent's HTTP API: `register` adds the service with an HTTP
 * check on its `/health` and `DeregisterCriticalServiceAfter`; `list` and `watch` read
 * `/v1/health/service/<name>?passing` (watch with blocking queries); `deregister` removes it.
 *
 * @example
 * const registry = createConsulRegistry({ url: 'http://127.0.0.1:8500', token: process.env.CONSUL_TOKEN });
 */
export function createConsulRegistry(options: ConsulRegistryOptions): Registry {
  const ttl = options.ttlSeconds ?? 10;
  checkTtl(ttl);
  const deregisterAfter = options.deregisterCriticalAfter ?? '1m';
  if (!GO_DURATION.test(deregisterAfter)) {
    throw DiscoveryErrors.REGISTRY_OPTIONS_INVALID({
      params: {
        reason: `deregisterCriticalAfter ${JSON.stringify(deregisterAfter)} is not a duration like 90s or 1m`,
      },
    });
  }
  const waitSeconds = options.waitSeconds ?? 60;
  if (!Number.isInteger(waitSeconds) || waitSeconds < 1 || waitSeconds > 600) {
    throw DiscoveryErrors.REGISTRY_OPTIONS_INVALID({
      params: { reason: `waitSeconds must be 1–600, got ${waitSeconds}` },
    });
  }
  const api = new ConsulApi({
    baseUrl: options.url,
    token: options.token,
    timeoutMs: options.callTimeoutMs ?? 5000,
  });
  const dc = options.datacenter ? `&dc=${encodeURIComponent(options.datacenter)}` : '';
  const resources = new RegistryResources('consul');

  const registry: Registry = {
    kind: 'consul',
    capabilities: { register: true, watch: 'push', expiry: 'health-check' },

    async register(r: InstanceRegistration): Promise<Registration> {
      resources.ensureOpen();
      const instance = toInstance(r);
      const interval = Math.max(1, Math.round((r.ttlSeconds ?? ttl) / 3));
      const registration = await ConsulRegistration.create({
        api,
        instance,
        healthUrl: r.healthUrl ?? `${instance.url}/health`,
        intervalSeconds: interval,
        timeoutSeconds: Math.min(interval, 10),
        deregisterCriticalAfter: deregisterAfter,
        resyncMs: options.resyncMs ?? 30_000,
        onError: options.onError,
        onEnd: (reg) => resources.ended(reg),
      });
      resources.registered(registration);
      return registration;
    },

    async list(name: string): Promise<ServiceInstance[]> {
      resources.ensureOpen();
      checkServiceName(name);
      const res = await api.call('GET', `/v1/health/service/${encodeURIComponent(name)}?passing${dc}`);
      return sortInstances(instancesFromHealth(res.body, name));
    },

    watch(name, onChange) {
      resources.ensureOpen();
      checkServiceName(name);
      const stopWatch = watchConsulService({
        api,
        name,
        extraQuery: dc,
        waitSeconds,
        onChange,
        onError: options.onError,
      });
      return resources.watching(stopWatch);
    },

    async check() {
      resources.ensureOpen();
      const res = await api.call('GET', '/v1/status/leader');
      const leader = typeof res.body === 'string' ? res.body.replace(/"/g, '').trim() : '';
      if (leader === '') {
        throw DiscoveryErrors.REGISTRY_UNAVAILABLE({
          params: { kind: 'consul', reason: 'the cluster has no leader' },
        });
      }
    },

    async close() {
      if (resources.closed) return;
      await resources.close();
    },
  };
  return registry;
}
