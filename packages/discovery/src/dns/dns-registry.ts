import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { DiscoveryErrors } from '../errors.ts';
import { checkServiceName, sortInstances } from '../internal/instance.ts';
import { InstanceWatch } from '../internal/instance-watch.ts';
import type { Registry, ServiceInstance } from '../registry.ts';

export interface DnsRegistryOptions {
  /**
   * Where a service's records are: a suffix (`shop.svc.cluster.local` → `<name>.shop.svc.cluster.local`),
   * a template with `{name}` (`{name}-headless.shop.svc.cluster.local`), or empty: `<name>` as is.
   */
  domain?: string;
  /** Port when there is no SRV record. Default 80 (443 for https). */
  port?: number;
  /** SRV prefix tried first; its records give targets and ports. Default `_http._tcp`; `''` skips SRV. */
  srv?: string;
  /** Scheme of instance URLs. Default `http`. */
  scheme?: 'http' | 'https';
  /** DNS servers (`host` or `host:port`); default the system's. */
  servers?: string[];
  /** How often `watch` resolves again. Default 5000 ms. */
  refreshMs?: number;
  /** Per-query timeout. Default 2000 ms. */
  timeoutMs?: number;
  onError?: (err: unknown) => void;
}

const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME', 'NOTFOUND', 'NODATA']);

/**
 * Read-only registry from DNS, for Kubernetes headless services: the instances of a service
 * are the A/AAAA records of its name, on the ports of its `_http._tcp` SRV record when there is
 * one. The platform registers instances (the pods behind the service); `register` throws
 * `REGISTRY_READ_ONLY`. `watch` resolves every `refreshMs`. Instances carry no metadata.
 *
 * @example
 * const registry = createDnsRegistry({ domain: 'shop.svc.cluster.local', port: 8080 });
 * await registry.list('inventory-service'); // A records of inventory-service.shop.svc.cluster.local
 */
export function createDnsRegistry(options: DnsRegistryOptions = {}): Registry {
  const scheme = options.scheme ?? 'http';
  const defaultPort = options.port ?? (scheme === 'https' ? 443 : 80);
  if (!Number.isInteger(defaultPort) || defaultPort < 1 || defaultPort > 65535) {
    throw DiscoveryErrors.REGISTRY_OPTIONS_INVALID({
      params: { reason: `port must be 1–65535, got ${options.port}` },
    });
  }
  const srv = options.srv ?? '_http._tcp';
  const resolver = new dns.Resolver({ timeout: options.timeoutMs ?? 2000, tries: 2 });
  if (options.servers?.length) resolver.setServers(options.servers);
  const domain = (options.domain ?? '').replace(/^\.+|\.+$/g, '');
  const hostOf = (name: string) =>
    domain.includes('{name}') ? domain.replaceAll('{name}', name) : domain ? `${name}.${domain}` : name;
  const stops = new Set<() => void>();

  const addresses = async (host: string): Promise<string[]> => {
    if (isIP(host)) return [host];
    const [v4, v6] = await Promise.all([
      resolver.resolve4(host).catch(noRecords),
      resolver.resolve6(host).catch(noRecords),
    ]);
    return [...v4, ...v6];
  };

  const instance = (name: string, address: string, port: number): ServiceInstance => {
    const host = address.includes(':') ? `[${address}]` : address;
    return {
      id: `${name}-${address}-${port}`.replace(/[^A-Za-z0-9._-]/g, '-'),
      name,
      url: new URL(`${scheme}://${host}:${port}`).origin,
      meta: {},
    };
  };

  const list = async (name: string): Promise<ServiceInstance[]> => {
    checkServiceName(name);
    const host = hostOf(name);
    const byUrl = new Map<string, ServiceInstance>();
    try {
      const records = srv ? await resolver.resolveSrv(`${srv}.${host}`).catch(noRecords) : [];
      if (records.length > 0) {
        for (const r of records) {
          for (const a of await addresses(r.name)) byUrl.set(`${a}:${r.port}`, instance(name, a, r.port));
        }
      } else {
        for (const a of await addresses(host))
          byUrl.set(`${a}:${defaultPort}`, instance(name, a, defaultPort));
      }
    } catch (err) {
      throw DiscoveryErrors.REGISTRY_UNAVAILABLE({
        params: { kind: 'dns', reason: `resolving ${host}: ${(err as Error).message}` },
        cause: err,
      });
    }
    return sortInstances([...byUrl.values()]);
  };

  return {
    kind: 'dns',
    capabilities: { register: false, watch: 'poll', expiry: 'health-check' },
    async register() {
      throw DiscoveryErrors.REGISTRY_READ_ONLY({ params: { kind: 'dns' } });
    },
    list,
    watch(name, onChange) {
      checkServiceName(name);
      const w = new InstanceWatch({
        load: () => list(name),
        onChange,
        intervalMs: options.refreshMs ?? 5000,
        onError: options.onError,
      }).start();
      const stop = () => {
        w.stop();
        stops.delete(stop);
      };
      stops.add(stop);
      return stop;
    },
    async check() {
      // Any answer, NXDOMAIN included, shows the DNS server works; a timeout or refusal does not.
      const probe = domain.replaceAll('{name}', 'outrig-probe') || 'localhost';
      try {
        await resolver.resolve4(probe).catch(noRecords);
      } catch (err) {
        throw DiscoveryErrors.REGISTRY_UNAVAILABLE({
          params: { kind: 'dns', reason: (err as Error).message },
          cause: err,
        });
      }
    },
    async close() {
      for (const stop of [...stops]) stop();
      resolver.cancel();
    },
  };
}

/** "No such name" and "no records of that type" are an empty answer, not a failure. */
function noRecords(err: NodeJS.ErrnoException): never[] {
  if (err.code && NO_RECORDS.has(err.code)) return [];
  throw err;
}
