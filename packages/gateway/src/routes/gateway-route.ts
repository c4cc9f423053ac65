/**
 * The gateway's route model: plain data, independent of the data plane that serves it. The
 * Fastify data plane (this package) renders it with `fastifyPatterns()`; other data planes
 * (HAProxy, Envoy) can render the same table.
 */

/** How a route treats callers at the edge (the same modes as a service's routes). */
export type GatewayAuthMode = 'required' | 'optional' | 'none';

/** A per-route rate limit: at most `max` requests per `timeWindow` (ms, or `'1 minute'`). */
export interface GatewayRateLimit {
  max: number;
  timeWindow: number | string;
}

/**
 * One route of the gateway.
 *
 * @example
 * const route: GatewayRoute = { path: '/api/*\/products', service: 'inventory-service', timeoutMs: 2000 };
 */
export interface GatewayRoute {
  /**
   * Path prefix, matched at segment boundaries: `/api/*\/products` matches `/api/v2/products`,
   * `/api/v2/products/7` and the unversioned `/api/products…` (the `*` stands for the API
   * version segment and may only follow `/api`). A trailing `/**` is accepted and means the same.
   * Without `*`, a plain prefix: `/.well-known/jwks.json`.
   */
  path: string;
  /** Service name in the registry. */
  service: string;
  /** Edge authentication. Declaring `roles` or `scopes` implies `'required'`. Default `'none'`. */
  auth?: GatewayAuthMode;
  /** The caller needs any of these roles. */
  roles?: string[];
  /** The caller needs all of these scopes. */
  scopes?: string[];
  /** Per-route limit instead of the gateway's default; `false` = no limit on this route. */
  rateLimit?: GatewayRateLimit | false;
  /** Per-attempt upstream timeout (headers and body). Default `CLIENT_TIMEOUT_MS`. */
  timeoutMs?: number;
  /** Retries of idempotent requests that failed to connect or got 502/503/504. Default `CLIENT_RETRIES`. */
  retries?: number;
}

/** A validated route with its path split into parts (what matchers and renderers read). */
export interface CompiledRoute extends GatewayRoute {
  /** Declared `*` for the API version. */
  readonly versioned: boolean;
  /**
   * The prefix without the version: `/products` for `/api/*\/products` (relative to
   * `/api/v{n}` and `/api`), or the whole prefix (`/.well-known/jwks.json`) when not versioned.
   */
  readonly prefix: string;
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SEGMENT = /^[A-Za-z0-9._~!$&'()+,;=:@%-]+$/;
const KNOWN_KEYS = new Set([
  'path',
  'service',
  'auth',
  'roles',
  'scopes',
  'rateLimit',
  'timeoutMs',
  'retries',
]);
const AUTH_MODES = new Set(['required', 'optional', 'none']);

/** The outcome of {@link compileRoutes}: routes when valid, otherwise every problem found. */
export type CompileResult = { ok: true; routes: CompiledRoute[] } | { ok: false; problems: string[] };

/**
 * Validates a route table (data from JSON or code) and splits each path. Collects every problem
 * (`routes[2].path: …`) instead of stopping at the first; duplicate prefixes are a problem.
 *
 * @example
 * const result = compileRoutes([{ path: '/api/*\/products', service: 'inventory-service' }]);
 * if (!result.ok) throw new Error(result.problems.join('; '));
 */
export function compileRoutes(input: unknown): CompileResult {
  if (!Array.isArray(input)) return { ok: false, problems: ['routes must be an array of route objects'] };
  if (input.length === 0) return { ok: false, problems: ['routes must not be empty'] };
  const problems: string[] = [];
  const routes: CompiledRoute[] = [];
  const seen = new Map<string, number>();
  input.forEach((raw, i) => {
    const at = `routes[${i}]`;
    const before = problems.length;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push(`${at} must be an object`);
      return;
    }
    const r = raw as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if (!KNOWN_KEYS.has(key)) problems.push(`${at}.${key} is not a route option`);
    }
    const split = typeof r.path === 'string' ? splitPath(r.path) : 'must be a string';
    if (typeof split === 'string') problems.push(`${at}.path ${split}`);
    if (typeof r.service !== 'string' || !SERVICE_NAME.test(r.service)) {
      problems.push(`${at}.service must be a service name (letters, digits, . _ -)`);
    }
    if (r.auth !== undefined && !AUTH_MODES.has(r.auth as string)) {
      problems.push(`${at}.auth must be one of required, optional, none`);
    }
    for (const key of ['roles', 'scopes'] as const) {
      const v = r[key];
      if (
        v !== undefined &&
        !(Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s))
      ) {
        problems.push(`${at}.${key} must be a non-empty array of strings`);
      }
    }
    if (r.auth === 'none' && (r.roles !== undefined || r.scopes !== undefined)) {
      problems.push(`${at}: roles and scopes need auth 'required' (or no auth key), not 'none'`);
    }
    const limit = checkRateLimit(r.rateLimit);
    if (limit) problems.push(`${at}.rateLimit ${limit}`);
    if (r.timeoutMs !== undefined && !isInt(r.timeoutMs, 1, 3_600_000)) {
      problems.push(`${at}.timeoutMs must be an integer between 1 and 3600000`);
    }
    if (r.retries !== undefined && !isInt(r.retries, 0, 10)) {
      problems.push(`${at}.retries must be an integer between 0 and 10`);
    }
    if (problems.length > before || typeof split === 'string') return;
    // `/api/*/legacy` and a plain `/api/legacy` would both claim `/api/legacy/…`: one key.
    const key = split.versioned ? `/api${split.prefix}` : split.prefix;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(`${at}.path ${r.path} has the same prefix as routes[${first}].path`);
      return;
    }
    seen.set(key, i);
    const route = raw as GatewayRoute;
    routes.push({
      ...route,
      ...(route.roles || route.scopes ? { auth: 'required' as const } : {}),
      versioned: split.versioned,
      prefix: split.prefix,
    });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, routes };
}

/** `/api/*\/products/**` → `{ versioned: true, prefix: '/products' }`, or a problem. */
function splitPath(path: string): { versioned: boolean; prefix: string } | string {
  if (!path.startsWith('/')) return 'must start with /';
  const trimmed = path.endsWith('/**') ? path.slice(0, -3) : path;
  const segments = trimmed.split('/').slice(1);
  if (segments.length === 0 || segments.some((s) => s === '')) {
    return `${path} must be /segment[/segment…] without empty segments`;
  }
  const versioned = segments[0] === 'api' && segments[1] === '*';
  const rest = versioned ? segments.slice(2) : segments;
  if (versioned && rest.length === 0) return `${path} needs a segment after /api/*`;
  if (!versioned && segments[0] === 'api' && /^v\d+$/.test(segments[1] ?? '')) {
    return `${path}: write /api/*/… (the version is resolved by the gateway), not a fixed version`;
  }
  const bad = rest.find((s) => !SEGMENT.test(s));
  if (bad !== undefined) {
    return `${path}: segment "${bad}" may not contain wildcards or reserved characters (only /api/* and a trailing /** are patterns)`;
  }
  return { versioned, prefix: `/${rest.join('/')}` };
}

function checkRateLimit(v: unknown): string | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === null || typeof v !== 'object') return 'must be { max, timeWindow } or false';
  const l = v as Record<string, unknown>;
  if (!isInt(l.max, 1, Number.MAX_SAFE_INTEGER)) return 'max must be a positive integer';
  const w = l.timeWindow;
  if (!(isInt(w, 1, Number.MAX_SAFE_INTEGER) || (typeof w === 'string' && w.trim() !== ''))) {
    return "timeWindow must be milliseconds or a duration like '1 minute'";
  }
  return undefined;
}

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}
