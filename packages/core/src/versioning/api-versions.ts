import { CoreErrors } from '../errors.ts';
import { RouteTable } from '../http/route-table.ts';

/** What a service says about one API version. */
export interface VersionOptions {
  /** When the version was deprecated (sends `Deprecation`). A date string or Date. */
  deprecated?: string | Date;
  /** When it stops being served (sends `Sunset`). Requires `deprecated`. */
  sunset?: string | Date;
  /** The version clients should move to; default: the next declared version. */
  successor?: number;
}

/** An entry of `GET /api/versions`. */
export interface VersionInfo {
  version: string;
  status: 'current' | 'supported' | 'deprecated' | 'preview';
  deprecated?: string;
  sunset?: string;
  successor?: string;
}

interface VersionEntry {
  n: number;
  deprecated?: Date;
  sunset?: Date;
  successor?: number;
  routes: RouteTable;
}

const VERSIONED = /^\/api\/v(\d+)(\/.*)?$/;

/**
 * The versions a service serves and the routes each has (paths relative to `/api/v{n}`).
 * Resolves unversioned paths to the latest version with that route, honouring a pinned
 * default (`API_VERSION`) and a cap on what counts as latest (`LATEST_API_VERSION`).
 */
export class ApiVersions {
  readonly #versions = new Map<number, VersionEntry>();
  readonly #pinned: number | undefined;
  readonly #cap: number | undefined;

  constructor(options: { pinned?: number; latestCap?: number } = {}) {
    this.#pinned = options.pinned;
    this.#cap = options.latestCap;
  }

  declare(n: number, options: VersionOptions = {}): void {
    if (!Number.isInteger(n) || n < 1) {
      throw CoreErrors.SERVICE_OPTIONS_INVALID({
        params: { reason: `version must be an integer ≥ 1, got ${n}` },
      });
    }
    const existing = this.#versions.get(n);
    const deprecated = toDate(options.deprecated, 'deprecated') ?? existing?.deprecated;
    const sunset = toDate(options.sunset, 'sunset') ?? existing?.sunset;
    if (sunset && !deprecated) {
      throw CoreErrors.SERVICE_OPTIONS_INVALID({
        params: { reason: `v${n} has a sunset but is not deprecated` },
      });
    }
    this.#versions.set(n, {
      n,
      deprecated,
      sunset,
      successor: options.successor ?? existing?.successor,
      routes: existing?.routes ?? new RouteTable(),
    });
  }

  addRoute(n: number, method: string | readonly string[], path: string): void {
    this.#versions.get(n)?.routes.add(method, path);
  }

  has(n: number): boolean {
    return this.#versions.has(n);
  }

  /** Highest declared version within the LATEST_API_VERSION cap. */
  latest(): number | undefined {
    const candidates = [...this.#versions.keys()].filter((n) => this.#cap === undefined || n <= this.#cap);
    return candidates.length ? Math.max(...candidates) : undefined;
  }

  /**
   * The version an unversioned `rest` path (`/products/1`) goes to: the pinned version if it
   * has the route, else the latest (within the cap) that has a route for that path, any method.
   */
  resolve(rest: string): number | undefined {
    if (this.#pinned !== undefined && this.#versions.get(this.#pinned)?.routes.methodsFor(rest).size) {
      return this.#pinned;
    }
    const ordered = [...this.#versions.keys()].sort((a, b) => b - a);
    return ordered.find(
      (n) =>
        (this.#cap === undefined || n <= this.#cap) &&
        this.#versions.get(n)!.routes.methodsFor(rest).size > 0,
    );
  }

  /** Methods version `n` has for `rest`. */
  methodsFor(n: number, rest: string): Set<string> {
    return this.#versions.get(n)?.routes.methodsFor(rest) ?? new Set();
  }

  /** Headers a response of version `n` carries: `Deprecation`, `Sunset`, `Link`. */
  deprecationHeaders(n: number, rest: string): Record<string, string> | undefined {
    const v = this.#versions.get(n);
    if (!v?.deprecated) return undefined;
    const headers: Record<string, string> = {
      // RFC 9745: a structured-field date, seconds since the epoch.
      deprecation: `@${Math.floor(v.deprecated.getTime() / 1000)}`,
    };
    if (v.sunset) headers.sunset = v.sunset.toUTCString(); // RFC 8594: an HTTP-date.
    const successor = this.successorOf(n);
    if (successor !== undefined) {
      const target =
        this.methodsFor(successor, rest).size > 0 ? `/api/v${successor}${rest}` : `/api/v${successor}`;
      headers.link = `<${target}>; rel="successor-version"`;
    }
    return headers;
  }

  successorOf(n: number): number | undefined {
    const v = this.#versions.get(n);
    if (v?.successor !== undefined) return v.successor;
    return [...this.#versions.keys()].sort((a, b) => a - b).find((m) => m > n);
  }

  /** The `GET /api/versions` listing, oldest first. */
  list(): VersionInfo[] {
    const latest = this.latest();
    return [...this.#versions.values()]
      .sort((a, b) => a.n - b.n)
      .map((v) => {
        const info: VersionInfo = { version: `v${v.n}`, status: statusOf(v, latest) };
        if (v.deprecated) info.deprecated = v.deprecated.toISOString();
        if (v.sunset) info.sunset = v.sunset.toISOString();
        const successor = v.deprecated ? this.successorOf(v.n) : undefined;
        if (successor !== undefined) info.successor = `v${successor}`;
        return info;
      });
  }
}

/** Splits `/api/v2/products` into `{ version: 2, rest: '/products' }`. */
export function parseVersionedPath(path: string): { version: number; rest: string } | undefined {
  const m = VERSIONED.exec(path);
  return m ? { version: Number(m[1]), rest: m[2] ?? '/' } : undefined;
}

/** Parses `2`, `v2`, `2.0` from an `API-Version`/`Accept-Version` header; undefined if invalid. */
export function parseVersionHeader(value: string): number | undefined {
  const m = /^\s*v?(\d{1,4})(?:\.0)?\s*$/i.exec(value);
  return m ? Number(m[1]) : undefined;
}

function statusOf(v: VersionEntry, latest: number | undefined): VersionInfo['status'] {
  if (v.deprecated) return 'deprecated';
  if (latest !== undefined && v.n > latest) return 'preview';
  return v.n === latest ? 'current' : 'supported';
}

function toDate(value: string | Date | undefined, what: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) {
    throw CoreErrors.SERVICE_OPTIONS_INVALID({
      params: { reason: `${what} date ${String(value)} is invalid` },
    });
  }
  return d;
}
