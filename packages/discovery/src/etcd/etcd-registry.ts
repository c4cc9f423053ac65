import { Etcd3, type IOptions } from 'etcd3';
import { DiscoveryErrors } from '../errors.ts';
import {
  checkServiceName,
  checkTtl,
  parseInstance,
  sortInstances,
  toInstance,
} from '../internal/instance.ts';
import { InstanceWatch } from '../internal/instance-watch.ts';
import { RegistryResources } from '../internal/registry-resources.ts';
import type { InstanceRegistration, Registration, Registry, ServiceInstance } from '../registry.ts';
import { EtcdRegistration } from './etcd-registration.ts';

export interface EtcdRegistryOptions {
  /** Endpoints, `http://host:2379`. Required unless `client` is given. */
  hosts?: string[];
  /** A client you built (TLS, auth, fault handling). Not closed by `close()`. */
  client?: Etcd3;
  /** Username and password for etcd's auth. */
  auth?: { username: string; password: string };
  /** Default lease TTL of a registration, seconds. Default 10; keep-alive every third of it. */
  ttlSeconds?: number;
  /** Key prefix; an instance lives at `<prefix><name>/<id>`. Default `/outrig/services/`. */
  prefix?: string;
  /** Deadline of each unary call (list, put, revoke, status). Default 5000 ms. */
  callTimeoutMs?: number;
  /** Told about lost leases, re-registrations and watch errors (all retried). */
  onError?: (err: unknown) => void;
}

/**
 * etcd v3 registry: each instance is a JSON value at `/outrig/services/<name>/<id>`, attached to
 * a lease kept alive every third of its TTL. A crashed instance stops keeping its lease alive
 * and etcd deletes the key when the lease expires; `watch` follows the prefix with an etcd watch
 * (and re-reads after each reconnect).
 *
 * @example
 * const registry = createEtcdRegistry({ hosts: ['http://127.0.0.1:2379'], ttlSeconds: 10 });
 * const stop = registry.watch('inventory-service', (instances) => console.log(instances));
 */
export function createEtcdRegistry(options: EtcdRegistryOptions): Registry {
  const ttl = options.ttlSeconds ?? 10;
  checkTtl(ttl);
  const prefix = options.prefix ?? '/outrig/services/';
  const timeoutMs = options.callTimeoutMs ?? 5000;
  if (!options.client && !options.hosts?.length) {
    throw DiscoveryErrors.REGISTRY_OPTIONS_INVALID({ params: { reason: 'etcd needs hosts or a client' } });
  }
  const ownsClient = !options.client;
  const clientOptions: IOptions = {
    hosts: options.hosts ?? [],
    ...(options.auth ? { auth: options.auth } : {}),
    dialTimeout: timeoutMs,
    // Streams (watch, keep-alive) live on; every unary call has a deadline.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
  };
  const client = options.client ?? new Etcd3(clientOptions);
  const resources = new RegistryResources('etcd');

  const dirOf = (name: string) => `${prefix}${name}/`;

  const registry: Registry = {
    kind: 'etcd',
    capabilities: { register: true, watch: 'push', expiry: 'ttl' },

    async register(r: InstanceRegistration): Promise<Registration> {
      resources.ensureOpen();
      const instance = toInstance(r);
      try {
        const registration = await EtcdRegistration.create({
          client,
          key: `${dirOf(instance.name)}${instance.id}`,
          instance,
          ttlSeconds: r.ttlSeconds ?? ttl,
          onError: options.onError,
          onEnd: (reg) => resources.ended(reg),
        });
        resources.registered(registration);
        return registration;
      } catch (err) {
        throw unavailable(err);
      }
    },

    async list(name: string): Promise<ServiceInstance[]> {
      resources.ensureOpen();
      checkServiceName(name);
      let values: Record<string, string>;
      try {
        values = await client.getAll().prefix(dirOf(name)).strings();
      } catch (err) {
        throw unavailable(err);
      }
      const instances: ServiceInstance[] = [];
      for (const text of Object.values(values)) {
        try {
          const instance = parseInstance(JSON.parse(text));
          if (instance?.name === name) instances.push(instance);
        } catch {
          // not ours: ignore foreign values under the prefix
        }
      }
      return sortInstances(instances);
    },

    watch(name, onChange) {
      resources.ensureOpen();
      checkServiceName(name);
      const w = new InstanceWatch({ load: () => registry.list(name), onChange, onError: options.onError });
      const watcher = client.watch().prefix(dirOf(name)).watcher();
      const trigger = () => w.trigger();
      // After a reconnect events may have been missed: `connected` re-reads the whole list.
      watcher.on('put', trigger).on('delete', trigger).on('connected', trigger);
      watcher.on('error', (err) => options.onError?.(err));
      w.start();
      return resources.watching(() => {
        w.stop();
        watcher.cancel().catch(() => {});
      });
    },

    async check() {
      resources.ensureOpen();
      try {
        await client.maintenance.status();
      } catch (err) {
        throw unavailable(err);
      }
    },

    async close() {
      if (resources.closed) return;
      await resources.close();
      if (ownsClient) client.close();
    },
  };
  return registry;
}

function unavailable(err: unknown) {
  return DiscoveryErrors.REGISTRY_UNAVAILABLE({
    params: { kind: 'etcd', reason: (err as Error).message },
    cause: err,
  });
}
