/**
 * A table of route patterns (`/products/:id`, `/files/*`) that answers, for a concrete path,
 * which methods have a route. Used for 405 answers and for "the latest version that has this
 * route" (Fastify's router matches one method at a time and does not expose this).
 */
export class RouteTable {
  readonly #routes: { pattern: string; regexp: RegExp; methods: Set<string> }[] = [];

  add(method: string | readonly string[], pattern: string): void {
    const methods = typeof method === 'string' ? [method] : method;
    let entry = this.#routes.find((r) => r.pattern === pattern);
    if (!entry) {
      entry = { pattern, regexp: compile(pattern), methods: new Set() };
      this.#routes.push(entry);
    }
    for (const m of methods) entry.methods.add(m.toUpperCase());
  }

  /** Methods with a route matching `path` (without query string); empty when none. */
  methodsFor(path: string): Set<string> {
    const found = new Set<string>();
    for (const r of this.#routes) {
      if (r.regexp.test(path)) for (const m of r.methods) found.add(m);
    }
    return found;
  }

  /** Whether `method` has a route for `path`. HEAD is answered by GET routes. */
  has(method: string, path: string): boolean {
    const methods = this.methodsFor(path);
    return methods.has(method) || (method === 'HEAD' && methods.has('GET'));
  }
}

function compile(pattern: string): RegExp {
  let source = '';
  for (const part of pattern.split('/').slice(1)) {
    source += '/';
    if (part === '*') source += '.*';
    else if (part.startsWith(':')) source += '[^/]+';
    else source += part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  }
  // A trailing slash is optional, as with Fastify's default router options.
  return new RegExp(`^${source.replace(/\/$/, '')}/?$`);
}

/** The path part of a request URL (no query string). */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** find-my-way's default `maxParamLength`: a longer parameter never matches its route. */
const MAX_PARAM_LENGTH = 100;

/**
 * Whether a segment of `path` is longer than the router accepts for a parameter: the router
 * then matches no route, and the kit answers `PATH_PARAM_TOO_LONG` instead of 404/405.
 */
export function hasOverlongSegment(path: string): boolean {
  return path.split('/').some((segment) => {
    if (segment.length <= MAX_PARAM_LENGTH) return false;
    try {
      return decodeURIComponent(segment).length > MAX_PARAM_LENGTH;
    } catch {
      return true;
    }
  });
}
