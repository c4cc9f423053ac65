/**
 * Route `config` keys the kit reads, typed on Fastify's route config for every service:
 * `api.get('/x', { config: { envelope: false } }, …)`.
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
  }
}

export {};
