import { randomBytes } from 'node:crypto';
import { DiscoveryErrors } from '../errors.ts';
import type { InstanceRegistration, ServiceInstance } from '../registry.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;
// Consul's rule for metadata keys, applied everywhere so a service can move between registries.
const META_KEY = /^[A-Za-z0-9_-]{1,128}$/;

/** Throws `REGISTRATION_INVALID` unless `name` can be a service name in every registry. */
export function checkServiceName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw DiscoveryErrors.REGISTRATION_INVALID({
      params: {
        reason: `service name ${JSON.stringify(name)} must be 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      },
    });
  }
}

/** Validates a registration and builds the instance it describes (id generated when absent). */
export function toInstance(r: InstanceRegistration): ServiceInstance {
  checkServiceName(r.name);
  const url = originOf(r.url);
  const meta = { ...(r.meta ?? {}) };
  for (const [key, value] of Object.entries(meta)) {
    if (!META_KEY.test(key) || typeof value !== 'string') {
      throw DiscoveryErrors.REGISTRATION_INVALID({
        params: { reason: `meta ${JSON.stringify(key)} must have a key of [A-Za-z0-9_-] and a string value` },
      });
    }
  }
  const id = r.id ?? defaultInstanceId(r.name, url);
  if (!ID.test(id)) {
    throw DiscoveryErrors.REGISTRATION_INVALID({
      params: { reason: `id ${JSON.stringify(id)} must be letters, digits, ".", "_" or "-"` },
    });
  }
  if (r.ttlSeconds !== undefined) checkTtl(r.ttlSeconds);
  return { id, name: r.name, url, meta };
}

/** Throws `REGISTRATION_INVALID` unless `ttl` is a whole number of seconds ≥ 1. */
export function checkTtl(ttl: number): void {
  if (!Number.isInteger(ttl) || ttl < 1) {
    throw DiscoveryErrors.REGISTRATION_INVALID({
      params: { reason: `ttlSeconds must be an integer ≥ 1, got ${ttl}` },
    });
  }
}

/** `<name>-<host>-<port>-<random>`, with characters registries refuse replaced by `-`. */
export function defaultInstanceId(name: string, url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const raw = `${name}-${u.hostname}-${port}-${randomBytes(3).toString('hex')}`;
  return raw.replace(/[^A-Za-z0-9._-]/g, '-');
}

/** Reads an instance stored by any adapter; undefined for anything malformed. */
export function parseInstance(value: unknown): ServiceInstance | undefined {
  const v = value as Partial<ServiceInstance> | null;
  if (typeof v !== 'object' || v === null) return undefined;
  if (typeof v.id !== 'string' || typeof v.name !== 'string' || typeof v.url !== 'string') return undefined;
  const meta: Record<string, string> = {};
  if (typeof v.meta === 'object' && v.meta !== null) {
    for (const [k, m] of Object.entries(v.meta)) if (typeof m === 'string') meta[k] = m;
  }
  return { id: v.id, name: v.name, url: v.url, meta };
}

/** Sorted by id: every adapter lists in the same order. */
export function sortInstances(instances: ServiceInstance[]): ServiceInstance[] {
  return instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Whether two sorted lists describe the same instances (ids, urls and meta). */
export function sameInstances(a: readonly ServiceInstance[], b: readonly ServiceInstance[]): boolean {
  return a.length === b.length && canonical(a) === canonical(b);
}

function canonical(list: readonly ServiceInstance[]): string {
  return JSON.stringify(
    list.map((i) => [i.id, i.name, i.url, Object.entries(i.meta).sort(([x], [y]) => (x < y ? -1 : 1))]),
  );
}

function originOf(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw DiscoveryErrors.REGISTRATION_INVALID({
      params: { reason: `url ${JSON.stringify(raw)} is not a URL` },
    });
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password) {
    throw DiscoveryErrors.REGISTRATION_INVALID({
      params: { reason: `url ${JSON.stringify(raw)} must be http:// or https:// without credentials` },
    });
  }
  if (u.pathname !== '/' || u.search || u.hash) {
    throw DiscoveryErrors.REGISTRATION_INVALID({
      params: { reason: `url ${JSON.stringify(raw)} must be an origin (http://host:port), without a path` },
    });
  }
  return u.origin;
}
