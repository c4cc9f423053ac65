import type { Static, TSchema } from 'typebox';
import { CoreErrors } from '../errors.ts';

/** HTTP methods the service client sends. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

const METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** TypeBox schemas of one route of the called service, as its own route declaration uses them. */
export interface ClientRoute {
  params?: TSchema;
  query?: TSchema;
  body?: TSchema;
  /** Schema of `data` in the success envelope. */
  response?: TSchema;
}

/** Routes of a service keyed `'<METHOD> <path>'`, e.g. `'GET /api/v2/products/:id'`. */
export type ClientRouteMap = { readonly [route: `${HttpMethod} /${string}`]: ClientRoute };

/** Query string values: repeated keys for arrays; `undefined` entries are left out. */
export type QueryValues = Record<
  string,
  string | number | boolean | readonly (string | number | boolean)[] | undefined
>;

/**
 * Declares the routes a service offers to its callers, with the TypeBox schemas its own routes
 * use. The called service exports the result; a caller passes it (or only its type) to
 * `service.client(name, { routes })` and gets typed calls. Keys are checked at runtime.
 *
 * @example
 * export const inventoryRoutes = defineClientRoutes({
 *   'GET /api/v2/products/:id': { params: ProductParams, response: Product },
 *   'POST /api/v2/products': { body: NewProduct, response: Product },
 * });
 * export type InventoryRoutes = typeof inventoryRoutes;
 */
export function defineClientRoutes<const R extends ClientRouteMap>(routes: R): R {
  for (const key of Object.keys(routes)) {
    const [method, path, extra] = key.split(' ');
    if (!METHODS.includes(method as HttpMethod) || !path?.startsWith('/') || extra !== undefined) {
      throw CoreErrors.CLIENT_OPTIONS_INVALID({
        params: { reason: `route key "${key}" is not "<METHOD> /path" (methods: ${METHODS.join(', ')})` },
      });
    }
  }
  return routes;
}

/** Paths of `R` declared for method `M`. */
export type RoutePaths<R, M extends HttpMethod> = {
  [K in keyof R & string]: K extends `${M} ${infer P}` ? P : never;
}[keyof R & string];

/** The route of `R` at `M P`. */
export type RouteAt<R, M extends HttpMethod, P extends string> = `${M} ${P}` extends keyof R
  ? R[`${M} ${P}`]
  : never;

/** Names of the `:params` of a path template. */
export type PathParamNames<P extends string> = P extends `${string}:${infer Rest}`
  ? Rest extends `${infer Name}/${infer Tail}`
    ? Name | PathParamNames<Tail>
    : Rest
  : never;

/** Type of `data` a route answers with (`unknown` without a response schema). */
export type RouteData<Route> = Route extends { response: infer S extends TSchema } ? Static<S> : unknown;

type ParamsPart<Route, P extends string> = Route extends { params: infer S extends TSchema }
  ? { params: Static<S> }
  : [PathParamNames<P>] extends [never]
    ? { params?: undefined }
    : { params: Record<PathParamNames<P>, string | number> };

type QueryPart<Route> = Route extends { query: infer S extends TSchema }
  ? object extends Static<S>
    ? { query?: Static<S> }
    : { query: Static<S> }
  : { query?: QueryValues };

type BodyPart<Route> = Route extends { body: infer S extends TSchema }
  ? { body: Static<S> }
  : { body?: unknown };

/** The typed `params`/`query`/`body` of a call to route `M P` of `R`. */
export type RouteInput<R, M extends HttpMethod, P extends string> = ParamsPart<RouteAt<R, M, P>, P> &
  QueryPart<RouteAt<R, M, P>> &
  BodyPart<RouteAt<R, M, P>>;

/** Builds the request path: fills `:params` (URL-encoded) and appends the query string. */
export function buildPath(
  target: string,
  template: string,
  params: Readonly<Record<string, unknown>> | undefined,
  query: QueryValues | undefined,
): string {
  if (!template.startsWith('/')) {
    throw CoreErrors.CLIENT_REQUEST_INVALID({
      params: { target, reason: `path "${template}" must start with /` },
    });
  }
  const path = template.replace(/:([A-Za-z0-9_]+)/g, (_whole, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null || value === '') {
      throw CoreErrors.CLIENT_REQUEST_INVALID({
        params: { target, reason: `no value for :${name} in ${template}` },
      });
    }
    return encodeURIComponent(String(value));
  });
  if (!query) return path;
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, String(v));
  }
  const qs = search.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}
