import { isOutrigError } from '@outrig/core/errors';
import { DiscoveryErrors } from '../errors.ts';
import { checkServiceName } from '../internal/instance.ts';
import type { Registration, Registry, ServiceInstance } from '../registry.ts';
import { type ResolveRegistryOptions, resolveRegistry } from '../resolve-registry.ts';
import { advertisedUrl, versionMeta } from './advertise.ts';
import type { DiscoveryHost } from './discovery-host.ts';

export interface ConnectDiscoveryOptions {
  /** `REGISTRY_URL`, or a Registry you built. Default `local:`. */
  url?: string | Registry;
  /** `AUTO_REGISTER_SERVICE`: register this instance once it listens. Default true. */
  autoRegister?: boolean;
  /** `REGISTRY_TTL_S`. Default 10. */
  ttlSeconds?: number;
  /** `SERVICE_ADVERTISE_HOST`: host other services reach this instance on. */
  advertiseHost?: string;
  /** `SERVICE_ADVERTISE_URL`: full origin others reach this instance on (wins over the host). */
  advertiseUrl?: string;
  /** `OUTRIG_HOME`: `local:` keeps its files in `<home>/.outrig/registry`. Default cwd. */
  home?: string;
  /** Extra metadata, next to the API versions. */
  meta?: Record<string, string>;
  /** Path a checking registry (Consul) calls. Default `/health`. */
  healthPath?: string;
  /** Longest wait for the registry when deregistering at shutdown. Default 5000 ms. */
  deregisterTimeoutMs?: number;
  /** Adapter options for `resolveRegistry`. */
  registry?: Omit<ResolveRegistryOptions, 'home' | 'ttlSeconds'>;
}

/** What `connectDiscovery` gives the service. */
export interface ServiceDiscovery {
  readonly registry: Registry;
  /** This instance while it is registered. */
  readonly instance: ServiceInstance | undefined;
  /**
   * Resolves with this instance once it is registered; with undefined when it never will be
   * (auto-registration off, a read-only registry, or the service stopped first).
   */
  registered(): Promise<ServiceInstance | undefined>;
}

/**
 * Wires a service into the registry: once the server listens it registers (URL from the
 * listening address or `SERVICE_ADVERTISE_*`, metadata with the API versions), retrying with
 * backoff while the registry is unreachable. The service client finds the services it calls in
 * the same registry (`service.useInstances`). At shutdown it deregisters first — before
 * connections drain, so no new traffic is routed here — and closes the registry last. Adds a
 * `registry` readiness check: the registry answers and this instance is registered.
 *
 * @example
 * const service = createService({ name: 'inventory-service', config: { ...discoveryConfig } });
 * const { config } = service;
 * await connectDiscovery(service, {
 *   url: config.registryUrl,
 *   autoRegister: config.autoRegisterService,
 *   ttlSeconds: config.registryTtlS,
 *   advertiseHost: config.advertiseHost,
 *   advertiseUrl: config.advertiseUrl,
 *   home: config.outrigHome,
 * });
 * await service.start();
 */
export async function connectDiscovery(
  host: DiscoveryHost,
  options: ConnectDiscoveryOptions = {},
): Promise<ServiceDiscovery> {
  checkServiceName(host.name);
  const registry = await resolveRegistry(options.url ?? 'local:', {
    ...options.registry,
    home: options.home,
    ttlSeconds: options.ttlSeconds,
    onError: options.registry?.onError ?? ((err) => host.log.warn({ err }, 'registry error (retrying)')),
  });
  const kind = registry.kind;
  host.useInstances?.(registry);
  const wanted = options.autoRegister ?? true;
  const willRegister = wanted && registry.capabilities.register;
  if (wanted && !willRegister) {
    host.log.info({ registry: kind }, 'the registry is read-only: the platform registers this instance');
  }

  let registration: Registration | undefined;
  let stopping = false;
  let lastError: unknown;
  let retry: NodeJS.Timeout | undefined;
  let settle: (instance: ServiceInstance | undefined) => void = () => {};
  const registered = new Promise<ServiceInstance | undefined>((resolve) => {
    settle = resolve;
  });
  if (!willRegister) settle(undefined);

  const attempt = async (failures: number): Promise<void> => {
    if (stopping) return;
    try {
      const url = advertisedUrl(host.app.server.address(), options);
      if (!url)
        throw DiscoveryErrors.REGISTRATION_INVALID({
          params: { reason: 'the server listens on no TCP port' },
        });
      const reg = await registry.register({
        name: host.name,
        url,
        meta: { ...versionMeta(host.apiVersions?.() ?? []), ...options.meta },
        ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
        healthUrl: `${url}${options.healthPath ?? '/health'}`,
      });
      if (stopping) {
        await reg.deregister().catch(() => {});
        return;
      }
      registration = reg;
      lastError = undefined;
      host.log.info({ registry: kind, id: reg.instance.id, url }, 'registered in the service registry');
      settle(reg.instance);
    } catch (err) {
      lastError = err;
      if (isOutrigError(err, 'REGISTRATION_INVALID')) {
        host.log.error({ err }, 'cannot register in the service registry');
        return; // retrying cannot fix it; readiness reports it
      }
      const delay = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
      host.log.warn({ err, retryInMs: delay }, 'registration failed (retrying)');
      retry = setTimeout(() => void attempt(failures + 1), delay);
      retry.unref();
    }
  };

  host.readiness('registry', async () => {
    await registry.check();
    if (willRegister && !registration) {
      throw DiscoveryErrors.SERVICE_NOT_REGISTERED({
        params: { kind, reason: lastError ? (lastError as Error).message : 'registration in progress' },
      });
    }
  });

  if (willRegister) {
    host.app.addHook('onListen', async () => {
      void attempt(0);
    });
    // preClose runs before the server stops accepting: the registry stops routing here first.
    host.app.addHook('preClose', async () => {
      stopping = true;
      clearTimeout(retry);
      const reg = registration;
      registration = undefined;
      if (!reg) return;
      try {
        await bounded(reg.deregister(), options.deregisterTimeoutMs ?? 5000);
        host.log.info({ registry: kind, id: reg.instance.id }, 'deregistered from the service registry');
      } catch (err) {
        host.log.warn({ err, id: reg.instance.id }, 'deregistration failed: the entry expires on its own');
      }
    });
  }
  host.onClose('registry', async () => {
    stopping = true;
    clearTimeout(retry);
    settle(undefined);
    await registry.close();
  });

  return {
    registry,
    get instance() {
      return registration?.instance;
    },
    registered: () => registered,
  };
}

function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
