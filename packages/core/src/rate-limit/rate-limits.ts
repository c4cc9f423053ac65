import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { CoreErrors } from '../errors.ts';
import { connectRateLimitRedis } from './redis-store.ts';

/** What {@link registerRateLimits} needs (the `RATE_LIMIT_*` config and the service name). */
export interface RateLimitsOptions {
  /** Default limit on every route without its own `config.rateLimit` (`RATE_LIMIT_ENABLED`). */
  enabled: boolean;
  /** Requests per key and window (`RATE_LIMIT_MAX`). */
  max: number;
  /** Window length in ms (`RATE_LIMIT_WINDOW`). */
  windowMs: number;
  /** Principals with one of these roles are never limited (`RATE_LIMIT_EXEMPT_ROLES`). */
  exemptRoles: readonly string[];
  /** Whether requests can carry a principal (the service verifies tokens). */
  principals: boolean;
  /** Shared counters in Redis (`REDIS_URL`); in-process memory when unset. */
  redisUrl?: string | undefined;
  /** Prefixes the Redis keys: instances of one service share counters, services do not. */
  service: string;
  log: FastifyBaseLogger;
}

/** The handle the service keeps: readiness of Redis (when used) and its closing. */
export interface RateLimits {
  /** Readiness check of the Redis store; `undefined` without `REDIS_URL`. */
  readonly check: (() => Promise<void>) | undefined;
  close(): Promise<void>;
}

/**
 * Registers @fastify/rate-limit on the root instance: a default limit per caller on every route
 * (when `enabled`), per-route overrides through the plugin's own `config.rateLimit`
 * (`{ max, timeWindow }`, or `false`), kit routes exempt (they carry `rateLimit: false`).
 *
 * The key is the principal's subject when the route verified a token, else the client IP
 * (IPv6 by /64). It runs at `preParsing`, after the route's auth hook and before the body is
 * read. Answers 429 `RATE_LIMITED` in the error envelope with `Retry-After` and the draft IETF
 * `RateLimit-Limit`/`-Remaining`/`-Reset` headers (also on allowed responses).
 *
 * With `redisUrl` the counters live in Redis under `outrig:rate-limit:<service>:` and hold
 * across instances. Redis errors fail open: the request passes, the outage is logged once and
 * `/ready` reports it (see the guide for the reasoning).
 */
export function registerRateLimits(app: FastifyInstance, options: RateLimitsOptions): RateLimits {
  let redis: Redis | undefined;
  const exempt = new Set(options.exemptRoles);
  app.register(
    fp(async (root: FastifyInstance) => {
      if (options.redisUrl)
        redis = await connectRateLimitRedis(options.redisUrl, options.service, options.log);
      await root.register(rateLimit, {
        global: options.enabled,
        max: options.max,
        timeWindow: options.windowMs,
        hook: 'preParsing',
        enableDraftSpec: true,
        cache: 10_000,
        // Without token verification every key is an IP: the plugin's own generator is its fast path.
        ...(options.principals ? { keyGenerator: keyOf } : {}),
        ...(options.principals && exempt.size > 0
          ? { allowList: (req: FastifyRequest) => isExempt(req, exempt) }
          : {}),
        errorResponseBuilder: (_req, context) =>
          CoreErrors.RATE_LIMITED({
            details: { limit: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) },
          }),
        skipOnError: true,
        ...(redis ? { redis, nameSpace: `outrig:rate-limit:${options.service}:` } : {}),
      });
    }),
  );
  return {
    check: options.redisUrl
      ? async () => {
          if (!redis) throw new Error('not connected yet');
          await redis.ping();
        }
      : undefined,
    async close() {
      if (!redis) return;
      await redis.quit().catch(() => redis?.disconnect());
    },
  };
}

function keyOf(req: FastifyRequest): string {
  const principal = req.principal;
  return principal === undefined ? `ip:${normalizeIP(req.ip)}` : `sub:${principal.subject}`;
}

function isExempt(req: FastifyRequest, roles: ReadonlySet<string>): boolean {
  return req.principal?.roles.some((r) => roles.has(r)) ?? false;
}
