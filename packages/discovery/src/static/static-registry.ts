import { DiscoveryErrors } from '../errors.ts';
import { checkServiceName, toInstance } from '../internal/instance.ts';
import type { Registry, ServiceInstance } from '../registry.ts';

/** Service name → instance URLs. */
export type StaticServices = Readonly<Record<string, readonly string[]>>;

/**
 * A fixed list of instances: for tests and simple deployments behind a load balancer. Read-only;
 * every listed instance counts as healthy; `watch` reports the list once.
 *
 * @example
 * const registry = createStaticRegistry({ 'inventory-service': ['http://10.0.0.7:8004', 'http://10.0.0.8:8004'] });
 */
export function createStaticRegistry(services: StaticServices): Registry {
  const table = new Map<string, ServiceInstance[]>();
  for (const [name, urls] of Object.entries(services)) {
    checkServiceName(name);
    const seen = new Set<string>();
    const instances: ServiceInstance[] = [];
    urls.forEach((url, i) => {
      const instance = toInstance({ name, url, id: `${name}-${i + 1}` });
      if (seen.has(instance.url)) return;
      seen.add(instance.url);
      instances.push(instance);
    });
    table.set(name, instances);
  }
  const list = (name: string) => (table.get(name) ?? []).map((i) => ({ ...i, meta: { ...i.meta } }));
  return {
    kind: 'static',
    capabilities: { register: false, watch: 'fixed', expiry: 'none' },
    async register() {
      throw DiscoveryErrors.REGISTRY_READ_ONLY({ params: { kind: 'static' } });
    },
    async list(name) {
      return list(name);
    },
    watch(name, onChange) {
      let stopped = false;
      setImmediate(() => {
        if (!stopped) onChange(list(name));
      });
      return () => {
        stopped = true;
      };
    },
    async check() {},
    async close() {},
  };
}

/**
 * Parses the part after `static:` — `name=http://h:p,http://h2:p;name2=http://h3:p` — throwing
 * `REGISTRY_URL_INVALID` with the reason.
 */
export function parseStaticServices(spec: string, url = `static:${spec}`): StaticServices {
  const services: Record<string, string[]> = {};
  const entries = spec
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw invalid(url, 'no services listed');
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? '' : entry.slice(0, eq).trim();
    const urls = (eq < 0 ? '' : entry.slice(eq + 1))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!name || urls.length === 0) throw invalid(url, `"${entry}" is not name=http://host:port[,…]`);
    try {
      checkServiceName(name);
      for (const u of urls) toInstance({ name, url: u, id: 'check' });
    } catch (err) {
      throw invalid(url, (err as Error).message);
    }
    services[name] = [...(services[name] ?? []), ...urls];
  }
  return services;
}

function invalid(url: string, reason: string) {
  return DiscoveryErrors.REGISTRY_URL_INVALID({ params: { url, reason }, details: { reason } });
}
