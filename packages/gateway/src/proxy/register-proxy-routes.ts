import diagnostics from 'node:diagnostics_channel';
import { CoreErrors } from '@outrig/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import type { CompiledRoute } from '../routes/gateway-route.ts';
import { fastifyPatterns } from '../routes/route-matcher.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { requestedVersion } from '../versioning/version-header.ts';
import { forwardHeaders } from './forward-headers.ts';
import { type ProxyObserver, type ProxyTarget, proxy } from './proxy-call.ts';

export interface ProxyRoutesOptions {
  routes: readonly CompiledRoute[];
  upstreams: ReadonlyMap<string, Upstream>;
  /** Default per-attempt timeout (`CLIENT_TIMEOUT_MS`). */
  timeoutMs: number;
  /** Default retries of repeatable requests (`CLIENT_RETRIES`). */
  retries: number;
  /** `false`: no `request completed` line per proxied request (`GATEWAY_ACCESS_LOG`). */
  accessLog: boolean;
  /** Unversioned requests without a version header: 307 to the latest version, or served by it. */
  unversioned: 'redirect' | 'serve';
  observer: ProxyObserver;
}

/** Methods whose repetition has the same effect as one request (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const VERSION_SEGMENT = /^v\d{1,4}$/;
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;
// An OpenTelemetry undici instrumentation subscribes here and injects the gateway's own trace
// context into every upstream request; the client's trace headers must then not be copied too.
const undiciRequestCreated = diagnostics.channel('undici:request:create');
/** How long a request waits for a service's first instance list (right after start). */
const FIRST_LIST_WAIT_MS = 2000;

/**
 * Renders the route table as Fastify routes (find-my-way's radix tree does the matching) in one
 * encapsulated scope whose only body parser buffers any content type as is (bodies are
 * forwarded unparsed; `BODY_LIMIT_BYTES` applies → 413). Each route carries its edge settings
 * in its route config, where the kit applies them: `auth`/`roles`/`scopes` (JWT verification)
 * and `rateLimit`. Handlers are closures over the route's upstream and settings: nothing is
 * looked up per request.
 */
export function registerProxyRoutes(app: FastifyInstance, options: ProxyRoutesOptions): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    for (const route of options.routes) {
      const target: ProxyTarget = {
        upstream: options.upstreams.get(route.service)!,
        timeoutMs: route.timeoutMs ?? options.timeoutMs,
        retries: route.retries ?? options.retries,
      };
      const config = {
        ...(route.auth ? { auth: route.auth } : {}),
        ...(route.roles ? { roles: route.roles } : {}),
        ...(route.scopes ? { scopes: route.scopes } : {}),
        ...(route.rateLimit === undefined ? {} : { rateLimit: route.rateLimit }),
        ...(options.accessLog ? {} : { log: false }),
      };
      const patterns = fastifyPatterns(route);
      const routeOptions = { config, schema: { hide: true } };
      for (const url of patterns.versioned) scope.all(url, routeOptions, versionedHandler(target, options));
      const plain = route.versioned ? unversionedHandler(target, options) : passHandler(target, options);
      for (const url of patterns.unversioned) scope.all(url, routeOptions, plain);
    }
  });
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => void;

/** `/api/v{n}/…`: forwarded as is. */
function versionedHandler(target: ProxyTarget, o: ProxyRoutesOptions): Handler {
  return (request, reply) => {
    const { apiVersion } = request.params as { apiVersion: string };
    if (!VERSION_SEGMENT.test(apiVersion)) {
      reply.send(notFound(request));
      return;
    }
    forward(request, reply, target, request.url, o);
  };
}

/** A plain prefix route: forwarded as is. */
function passHandler(target: ProxyTarget, o: ProxyRoutesOptions): Handler {
  return (request, reply) => forward(request, reply, target, request.url, o);
}

/**
 * `/api/…` without a version, like a service answers it: with `API-Version`/`Accept-Version`,
 * served by that version in place; without, 307 to the latest version the service publishes in
 * the registry (`meta.latest`), or served by it in `serve` mode. A service that publishes no
 * versions gets the request unchanged and resolves it itself.
 */
function unversionedHandler(target: ProxyTarget, o: ProxyRoutesOptions): Handler {
  return (request, reply) => {
    const asked = requestedVersion(request.headers);
    const rest = request.url.slice(4);
    if (asked === 'invalid') {
      const value = request.headers['api-version'] ?? request.headers['accept-version'];
      reply.send(
        CoreErrors.BAD_REQUEST({
          message: `API-Version header ${JSON.stringify(value)} is invalid: expected a version number like 2 or v2`,
        }),
      );
      return;
    }
    if (asked !== undefined) {
      forward(request, reply, target, `/api/v${asked}${rest}`, o);
      return;
    }
    const upstream = target.upstream;
    const resolve = () => {
      const latest = upstream.latestVersion();
      if (latest === undefined) forward(request, reply, target, request.url, o);
      else if (o.unversioned === 'serve') forward(request, reply, target, `/api/v${latest}${rest}`, o);
      else {
        reply.header('vary', 'API-Version, Accept-Version');
        reply.redirect(`/api/v${latest}${rest}`, 307);
      }
    };
    if (upstream.loaded) resolve();
    else void upstream.waitForInstances(FIRST_LIST_WAIT_MS).then(resolve);
  };
}

function forward(
  request: FastifyRequest,
  reply: FastifyReply,
  target: ProxyTarget,
  path: string,
  o: ProxyRoutesOptions,
): void {
  // `..` would let a path matched for one service reach another route of it after normalization.
  if ((path.includes('/.') || path.includes('%2')) && hasDotSegment(path)) {
    reply.send(CoreErrors.BAD_REQUEST({ message: 'The path may not contain . or .. segments' }));
    return;
  }
  const headers = request.headers;
  const method = request.method;
  const body = request.body as Buffer | undefined;
  const run = () =>
    proxy(
      target,
      {
        method: method as Dispatcher.HttpMethod,
        path,
        headers: forwardHeaders(
          headers,
          { requestId: request.id, clientIp: request.ip, protocol: request.protocol },
          undiciRequestCreated.hasSubscribers,
        ),
        body,
        repeatable: IDEMPOTENT.has(method) || headers['idempotency-key'] !== undefined,
      },
      reply,
      o.observer,
    );
  if (target.upstream.loaded) run();
  else void target.upstream.waitForInstances(FIRST_LIST_WAIT_MS).then(run);
}

function hasDotSegment(url: string): boolean {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return true;
  }
  return DOT_SEGMENT.test(decoded);
}

function notFound(request: FastifyRequest) {
  const q = request.url.indexOf('?');
  const path = q === -1 ? request.url : request.url.slice(0, q);
  return CoreErrors.NOT_FOUND({ params: { method: request.method, path } });
}
