import type { ServiceInstance } from '../registry.ts';

/** One entry of `GET /v1/health/service/<name>`, as far as the adapter reads it. */
interface HealthEntry {
  Node?: { Address?: string };
  Service?: {
    ID?: string;
    Service?: string;
    Address?: string;
    Port?: number;
    Meta?: Record<string, unknown> | null;
    Tags?: string[] | null;
  };
}

/** Tag marking an instance served over https (Consul stores only address and port). */
export const HTTPS_TAG = 'https';

/** Maps Consul's health entries to instances; entries without an address or port are skipped. */
export function instancesFromHealth(body: unknown, name: string): ServiceInstance[] {
  if (!Array.isArray(body)) return [];
  const out: ServiceInstance[] = [];
  for (const entry of body as HealthEntry[]) {
    const s = entry.Service;
    const host = s?.Address || entry.Node?.Address;
    if (!s?.ID || !host || typeof s.Port !== 'number' || s.Port <= 0) continue;
    const scheme = s.Tags?.includes(HTTPS_TAG) ? 'https' : 'http';
    const hostPart = host.includes(':') ? `[${host}]` : host;
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.Meta ?? {})) if (typeof v === 'string') meta[k] = v;
    out.push({
      id: s.ID,
      name: s.Service ?? name,
      url: new URL(`${scheme}://${hostPart}:${s.Port}`).origin,
      meta,
    });
  }
  return out;
}
