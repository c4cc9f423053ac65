import type { AuthMode } from '../auth/principal.ts';

/**
 * Route `config` keys the kit reads, typed on Fastify's route config for every service:
 * `api.get('/x', { config: { envelope: false } }, …)`. `rateLimit` (`{ max, timeWindow }` or
 * `false`) is typed by @fastify/rate-limit.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` sends the payload as is, without `{ data, metadata }`. */
    envelope?: boolean;
    /** `false` keeps the route out of the RED metrics. */
    metrics?: boolean;
    /** `false` writes no `request completed` line for the route. */
    log?: boolean;
    /** Set by `service.version(n, …)`. */
    apiVersion?: number;
    /** Marks the kit's `/api/*` fallback route. */
    fallback?: boolean;
    /**
     * Who may call the route: `'required'` (401 without a valid bearer token), `'optional'`
     * (`request.principal` when a valid token is sent) or `'none'`. Default: the service's
     * `auth.default`, itself `'none'`. Kit routes are always public.
     */
    auth?: AuthMode;
    /** The principal needs at least one of these roles (403 otherwise). Implies `auth: 'required'`. */
    roles?: string[];
    /** The principal needs every one of these scopes (403 otherwise). Implies `auth: 'required'`. */
    scopes?: string[];
    /**
     * `tenantScope(request)` lets an `admin` read another tenant (`?tenant=`) or all tenants.
     * Implies `auth: 'required'`.
     */
    crossTenant?: boolean;
  }
}
