import path from 'node:path';
import type { ConsulRegistryOptions } from './consul/consul-registry.ts';
import type { DnsRegistryOptions } from './dns/dns-registry.ts';
import type { EtcdRegistryOptions } from './etcd/etcd-registry.ts';
import { createLocalRegistry, type LocalRegistryOptions } from './local/local-registry.ts';
import type { Registry } from './registry.ts';
import { parseRegistryUrl } from './registry-url.ts';
import { createStaticRegistry } from './static/static-registry.ts';

export interface ResolveRegistryOptions {
  /** Root of the system (`OUTRIG_HOME`): `local:` keeps its files in `<home>/.outrig/registry`. Default cwd. */
  home?: string;
  /** Default TTL of registrations, seconds (`REGISTRY_TTL_S`). Default 10. */
  ttlSeconds?: number;
  /** Told about background failures the registry retries (heartbeats, watches, lost leases). */
  onError?: (err: unknown) => void;
  /** Extra options per adapter, merged over what the URL says. */
  local?: Partial<LocalRegistryOptions>;
  etcd?: Partial<EtcdRegistryOptions>;
  consul?: Partial<ConsulRegistryOptions>;
  dns?: Partial<DnsRegistryOptions>;
}

/**
 * Turns `REGISTRY_URL` (or a Registry you built) into a {@link Registry}. Throws
 * `REGISTRY_URL_INVALID` for a malformed URL. Nothing connects yet except the etcd client, which
 * connects lazily; `check()` tells whether the registry answers. The etcd client library is only
 * loaded for `etcd://`.
 *
 * | URL | registry |
 * |---|---|
 * | `local:` / `local:/folder` | files under `<home>/.outrig/registry` (one machine, no server) |
 * | `static:name=http://h:p,…;name2=…` | a fixed list, read-only |
 * | `etcd://host:2379[,host2:2379]` | etcd v3 leases and watches |
 * | `consul://host:8500[?token=…]` | a Consul agent's HTTP API |
 * | `dns:shop.svc.cluster.local[?port=8080]` | DNS A/SRV records (Kubernetes headless services), read-only |
 *
 * @example
 * const registry = await resolveRegistry(config.registryUrl, { home: config.outrigHome, ttlSeconds: 10 });
 * const instances = await registry.list('inventory-service');
 */
export async function resolveRegistry(
  spec: string | Registry,
  options: ResolveRegistryOptions = {},
): Promise<Registry> {
  if (typeof spec !== 'string') return spec;
  const parsed = parseRegistryUrl(spec);
  const common = {
    ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
    ...(options.onError ? { onError: options.onError } : {}),
  };
  switch (parsed.kind) {
    case 'local': {
      const home = path.resolve(options.home ?? '.');
      const dir = parsed.dir ? path.resolve(home, parsed.dir) : path.join(home, '.outrig', 'registry');
      return createLocalRegistry({ dir, ...common, ...options.local });
    }
    case 'static':
      return createStaticRegistry(parsed.services);
    case 'etcd': {
      const { createEtcdRegistry } = await import('./etcd/etcd-registry.ts');
      const { kind: _, ...fromUrl } = parsed;
      return createEtcdRegistry({ ...fromUrl, ...common, ...options.etcd });
    }
    case 'consul': {
      const { createConsulRegistry } = await import('./consul/consul-registry.ts');
      const { kind: _, ...fromUrl } = parsed;
      return createConsulRegistry({ ...fromUrl, ...common, ...options.consul });
    }
    case 'dns': {
      const { createDnsRegistry } = await import('./dns/dns-registry.ts');
      const { kind: _, ...fromUrl } = parsed;
      return createDnsRegistry({
        ...fromUrl,
        ...(options.onError ? { onError: options.onError } : {}),
        ...options.dns,
      });
    }
  }
}
