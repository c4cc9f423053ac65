import { CoreErrors } from '../errors.ts';

/** One reachable instance of a service: a stable id and its base URL (`http://host:port`). */
export interface ServiceInstanceRef {
  readonly id: string;
  readonly url: string;
  readonly meta?: Readonly<Record<string, string>>;
}

/**
 * Where the service client finds the instances of the services it calls. `@outrig/discovery`'s
 * `Registry` satisfies it (`connectDiscovery` plugs it in with `service.useInstances`); tests and
 * simple deployments can pass any object of this shape.
 *
 * - `list(name)` resolves the healthy instances of `name` now; it may be called often (the client
 *   caches the answer for `CLIENT_DISCOVERY_TTL_MS` when there is no `watch`).
 * - `watch(name, onChange)`, when present, calls `onChange` with the full list at once and on every
 *   change, and returns a function that stops watching; the client then relies on it instead of
 *   polling `list`.
 */
export interface InstanceSource {
  list(name: string): Promise<ServiceInstanceRef[]>;
  watch?(name: string, onChange: (instances: ServiceInstanceRef[]) => void): () => void;
}

/** `inventory-service` → `INVENTORY_SERVICE_URL`: the variable naming a target's address. */
export function urlVariableFor(target: string): string {
  return `${target.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}_URL`;
}

/**
 * The instances of `target` from the environment: `<TARGET>_URL`, one URL or a comma-separated
 * list. Throws `SERVICE_UNRESOLVED` naming the variable when it is unset or not http(s) URLs.
 */
export function instancesFromEnv(
  target: string,
  env: Readonly<Record<string, string | undefined>>,
): ServiceInstanceRef[] {
  const variable = urlVariableFor(target);
  const raw = env[variable]?.trim();
  const unresolved = (reason: string) =>
    CoreErrors.SERVICE_UNRESOLVED({ params: { target, reason }, details: { target, variable } });
  if (!raw) {
    throw unresolved(`set ${variable} (comma-separated URLs) or connect a registry (service.useInstances)`);
  }
  const urls = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return urls.map((url) => {
    if (!isHttpUrl(url))
      throw unresolved(`${variable}="${raw}" is not a comma-separated list of http(s) URLs`);
    return { id: url, url };
  });
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
