import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { CoreErrors } from '../errors.ts';
import { hasOverlongSegment, pathOf } from '../http/route-table.ts';
import { type ApiVersions, parseVersionedPath, parseVersionHeader } from './api-versions.ts';

const HEADERS = ['api-version', 'accept-version'] as const;

function versionHeader(req: IncomingMessage | FastifyRequest): string | undefined {
  for (const h of HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/**
 * Fastify `rewriteUrl`: before routing, an unversioned `/api/…` request with an `API-Version`
 * (or `Accept-Version`) header is served by that version in place; in `serve` mode, one without
 * a header is served by the latest version that has the route. Otherwise the URL is unchanged
 * and the `/api/*` fallback answers (307 to the versioned path, 404, 405).
 */
export function versionRewriter(versions: ApiVersions, mode: 'redirect' | 'serve') {
  return (req: IncomingMessage): string => {
    const url = req.url ?? '/';
    if (!url.startsWith('/api/')) return url;
    const path = pathOf(url);
    if (path === '/api/versions' || parseVersionedPath(path)) return url;
    const query = url.slice(path.length);
    const rest = path.slice(4);
    const header = versionHeader(req);
    if (header !== undefined) {
      const n = parseVersionHeader(header);
      return n === undefined ? url : `/api/v${n}${rest}${query}`;
    }
    if (mode === 'serve') {
      const n = versions.resolve(rest);
      if (n !== undefined) return `/api/v${n}${rest}${query}`;
    }
    return url;
  };
}

/**
 * Per-route version headers: `API-Version` on every versioned response; `Deprecation`, `Sunset`
 * and `Link` on deprecated versions. Must be added on the root instance (onRoute is scoped).
 */
export function registerVersionHeaders(app: FastifyInstance, versions: ApiVersions): void {
  app.addHook('onRoute', (route) => {
    const versioned = parseVersionedPath(route.url);
    if (!versioned || (route.config as { fallback?: boolean } | undefined)?.fallback) return;
    const n = versioned.version;
    const hook = async (request: FastifyRequest, reply: FastifyReply) => {
      reply.header('api-version', `v${n}`);
      const headers = versions.deprecationHeaders(
        n,
        parseVersionedPath(pathOf(request.url))?.rest ?? versioned.rest,
      );
      if (headers) reply.headers(headers);
    };
    route.onSend = route.onSend
      ? [...(Array.isArray(route.onSend) ? route.onSend : [route.onSend]), hook]
      : [hook];
  });
}

/** `GET /api/versions` and the `/api/*` fallback (307 to the versioned path, 404, 405). */
export function registerVersioningRoutes(app: FastifyInstance, versions: ApiVersions): void {
  const VersionInfo = Type.Object({
    version: Type.String(),
    status: Type.Union([
      Type.Literal('current'),
      Type.Literal('supported'),
      Type.Literal('deprecated'),
      Type.Literal('preview'),
    ]),
    deprecated: Type.Optional(Type.String({ format: 'date-time' })),
    sunset: Type.Optional(Type.String({ format: 'date-time' })),
    successor: Type.Optional(Type.String()),
  });
  app.get(
    '/api/versions',
    {
      schema: {
        tags: ['versions'],
        summary: 'API versions and their status',
        response: {
          200: Type.Object({ latest: Type.Optional(Type.String()), versions: Type.Array(VersionInfo) }),
        },
      },
    },
    async () => {
      const latest = versions.latest();
      return { latest: latest === undefined ? undefined : `v${latest}`, versions: versions.list() };
    },
  );

  app.all('/api/*', { config: { fallback: true }, schema: { hide: true } }, async (request, reply) => {
    const path = pathOf(request.url);
    const versioned = parseVersionedPath(path);
    if (versioned) {
      if (!versions.has(versioned.version)) {
        throw CoreErrors.API_VERSION_UNKNOWN({
          params: { version: `v${versioned.version}` },
          details: { available: versions.list().map((v) => v.version) },
        });
      }
      const methods = versions.methodsFor(versioned.version, versioned.rest);
      // The router refuses a path parameter over its length limit (100) before matching: the
      // route exists for this very method, so the parameter is what is wrong.
      const routed = methods.has(request.method) || (request.method === 'HEAD' && methods.has('GET'));
      if (routed && hasOverlongSegment(path)) {
        throw CoreErrors.PATH_PARAM_TOO_LONG();
      }
      if (methods.size > 0) {
        reply.header('allow', [...methods].sort().join(', '));
        throw CoreErrors.METHOD_NOT_ALLOWED({ params: { method: request.method, path } });
      }
      throw CoreErrors.NOT_FOUND({ params: { method: request.method, path } });
    }
    const header = versionHeader(request);
    if (header !== undefined) {
      throw CoreErrors.BAD_REQUEST({
        message: `API-Version header ${JSON.stringify(header)} is invalid: expected a version number like 2 or v2`,
      });
    }
    const rest = path.slice(4);
    const target = versions.resolve(rest);
    if (target === undefined) throw CoreErrors.NOT_FOUND({ params: { method: request.method, path } });
    reply.header('vary', 'API-Version, Accept-Version');
    return reply.redirect(`/api/v${target}${rest}${request.url.slice(path.length)}`, 307);
  });
}
