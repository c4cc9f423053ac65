import { DiscoveryErrors } from './errors.ts';
import { parseStaticServices, type StaticServices } from './static/static-registry.ts';

/** What a `REGISTRY_URL` says, before anything connects. */
export type RegistrySpec =
  | { kind: 'local'; dir?: string }
  | { kind: 'static'; services: StaticServices }
  | { kind: 'etcd'; hosts: string[]; auth?: { username: string; password: string }; prefix?: string }
  | {
      kind: 'consul';
      url: string;
      token?: string;
      datacenter?: string;
      deregisterCriticalAfter?: string;
      waitSeconds?: number;
    }
  | {
      kind: 'dns';
      domain: string;
      port?: number;
      srv?: string;
      scheme?: 'http' | 'https';
      servers?: string[];
      refreshMs?: number;
    };

/**
 * Parses a registry URL without connecting; throws `REGISTRY_URL_INVALID` naming the problem.
 * Used by `resolveRegistry` and by the `REGISTRY_URL` config key (so a typo stops the service at
 * start with `CONFIG_INVALID`).
 *
 * - `local:` (folder under OUTRIG_HOME) or `local:/some/folder`
 * - `static:name=http://h:p,http://h2:p;name2=http://h3:p`
 * - `etcd://[user:password@]host[:2379][,host2[:2379]…][?prefix=/outrig/services/]`
 * - `consul://host[:8500][?token=…&dc=…&deregister_critical_after=1m&wait=60s]`, `consul+https://…`
 * - `dns:[domain][?port=8080&srv=_http._tcp&scheme=http&server=10.0.0.10:53&refresh=5s]`;
 *   the domain is a suffix (`<name>.<domain>`) or a template containing `{name}`
 */
export function parseRegistryUrl(url: string): RegistrySpec {
  const raw = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1]?.toLowerCase();
  const rest = scheme ? raw.slice(scheme.length + 1) : '';
  switch (scheme) {
    case 'local':
      return rest.trim() === '' ? { kind: 'local' } : { kind: 'local', dir: rest.trim() };
    case 'static':
      return { kind: 'static', services: parseStaticServices(rest, raw) };
    case 'etcd':
      return parseEtcd(raw, rest);
    case 'consul':
    case 'consul+http':
    case 'consul+https':
      return parseConsul(raw, scheme === 'consul+https' ? 'https' : 'http');
    case 'dns':
      return parseDns(raw, rest);
    default:
      throw invalid(raw, scheme ? `unknown scheme ${scheme}:` : 'no scheme');
  }
}

function parseEtcd(raw: string, rest: string): RegistrySpec {
  if (!rest.startsWith('//')) throw invalid(raw, 'etcd URLs start with etcd://');
  const [authorityPart = '', query = ''] = rest.slice(2).split('?', 2);
  const authority = authorityPart.replace(/\/+$/, '');
  if (authority.includes('/')) throw invalid(raw, 'set the key prefix with ?prefix=, not a path');
  const at = authority.lastIndexOf('@');
  let auth: { username: string; password: string } | undefined;
  if (at >= 0) {
    const [user = '', password = ''] = authority.slice(0, at).split(':', 2);
    if (!user) throw invalid(raw, 'empty user name');
    auth = { username: decodeURIComponent(user), password: decodeURIComponent(password) };
  }
  const hosts = authority
    .slice(at + 1)
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .map((h) => {
      const m = /^(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(h);
      const port = Number(m?.[2] ?? 2379);
      if (!m || port < 1 || port > 65535) throw invalid(raw, `"${h}" is not host[:port]`);
      return `http://${m[1]}:${port}`;
    });
  if (hosts.length === 0) throw invalid(raw, 'no etcd host');
  const params = new URLSearchParams(query);
  const prefix = params.get('prefix') ?? undefined;
  if (prefix !== undefined && !prefix.startsWith('/')) throw invalid(raw, 'prefix must start with /');
  return { kind: 'etcd', hosts, ...(auth ? { auth } : {}), ...(prefix ? { prefix } : {}) };
}

function parseConsul(raw: string, protocol: 'http' | 'https'): RegistrySpec {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw invalid(raw, 'not a URL');
  }
  if (!u.hostname) throw invalid(raw, 'no Consul agent host');
  if (u.pathname !== '' && u.pathname !== '/') throw invalid(raw, 'Consul URLs have no path');
  const p = u.searchParams;
  const spec: RegistrySpec = { kind: 'consul', url: `${protocol}://${u.hostname}:${u.port || 8500}` };
  const token = p.get('token');
  if (token) spec.token = token;
  const dc = p.get('dc');
  if (dc) spec.datacenter = dc;
  const after = p.get('deregister_critical_after');
  if (after) {
    if (durationMs(after) === undefined)
      throw invalid(raw, `deregister_critical_after=${after} is not a duration`);
    spec.deregisterCriticalAfter = after;
  }
  const wait = p.get('wait');
  if (wait) {
    const ms = durationMs(wait);
    if (ms === undefined || ms < 1000 || ms > 600_000) throw invalid(raw, `wait=${wait} must be 1s–10m`);
    spec.waitSeconds = Math.round(ms / 1000);
  }
  return spec;
}

function parseDns(raw: string, rest: string): RegistrySpec {
  if (rest.startsWith('//')) throw invalid(raw, 'write dns:domain (no //); name a DNS server with ?server=');
  const [domain = '', query = ''] = rest.split('?', 2);
  if (domain && !/^[A-Za-z0-9._{}-]+$/.test(domain)) throw invalid(raw, `"${domain}" is not a domain`);
  const p = new URLSearchParams(query);
  const spec: RegistrySpec = { kind: 'dns', domain };
  const port = p.get('port');
  if (port !== null) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw invalid(raw, `port=${port} is not a port`);
    spec.port = n;
  }
  const srv = p.get('srv');
  if (srv !== null) spec.srv = srv;
  const scheme = p.get('scheme');
  if (scheme !== null) {
    if (scheme !== 'http' && scheme !== 'https') throw invalid(raw, 'scheme must be http or https');
    spec.scheme = scheme;
  }
  const servers = p.getAll('server').flatMap((s) => s.split(','));
  if (servers.length > 0) spec.servers = servers;
  const refresh = p.get('refresh');
  if (refresh !== null) {
    const ms = durationMs(refresh);
    if (ms === undefined || ms < 100) throw invalid(raw, `refresh=${refresh} must be a duration ≥ 100ms`);
    spec.refreshMs = ms;
  }
  return spec;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `5s`, `1m30s`, `1h` → milliseconds; undefined when malformed. */
export function durationMs(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  return total;
}

function invalid(url: string, reason: string) {
  return DiscoveryErrors.REGISTRY_URL_INVALID({ params: { url: redact(url), reason }, details: { reason } });
}

/** URLs may carry passwords and tokens: never put them in an error message. */
export function redact(url: string): string {
  return url.replace(/\/\/([^/@]*)@/, '//***@').replace(/([?&]token=)[^&]*/, '$1***');
}
