import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { Type } from 'typebox';
import { isOutrigError } from '../errors/outrig-error.ts';
import { CoreErrors } from '../errors.ts';
import { ErrorEnvelopeSchema } from '../http/envelope.ts';
import { missingJwks } from './auth-options.ts';
import { parseBearer } from './bearer.ts';
import type { JwtVerifier } from './jwt-verifier.ts';
import { isKitRoute } from './kit-routes.ts';
import { AUTH_MODES, type AuthMode, type Principal } from './principal.ts';

/** The auth keys of a route's `config` (typed on Fastify's route config in http/route-config.ts). */
export interface RouteAuthConfig {
  auth?: AuthMode;
  roles?: string[];
  scopes?: string[];
  crossTenant?: boolean;
}

/** The OpenAPI security scheme routes with auth refer to. */
export const BEARER_SECURITY_SCHEME = {
  bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
} as const;

const Unauthenticated = Type.Object(ErrorEnvelopeSchema.properties, {
  description: 'UNAUTHENTICATED: missing, invalid or expired bearer token',
});
const Forbidden = Type.Object(ErrorEnvelopeSchema.properties, {
  description: 'FORBIDDEN / TENANT_REQUIRED: the token lacks a role, scope or tenant this route needs',
});

interface Requirement {
  mode: 'required' | 'optional';
  roles: readonly string[] | undefined;
  scopes: readonly string[] | undefined;
}

/**
 * Resolves each route's auth declaration once, when the route is added (onRoute), and gives only
 * the routes that need it an `onRequest` hook: routes with `auth: 'none'` pay nothing per request.
 */
export class RouteAccess {
  readonly #verifier: JwtVerifier | undefined;
  readonly #defaultMode: AuthMode;
  readonly #realm: string;

  constructor(options: { verifier: JwtVerifier | undefined; defaultMode?: AuthMode; realm: string }) {
    this.#verifier = options.verifier;
    this.#defaultMode = options.defaultMode ?? 'none';
    this.#realm = options.realm.replace(/["\\]/g, '');
  }

  /** Whether the service can verify tokens (the OpenAPI document then lists the bearer scheme). */
  get verifies(): boolean {
    return this.#verifier !== undefined;
  }

  /** onRoute: validates the declaration, adds the hook, documents security and 401/403. */
  onRoute(route: RouteOptions): void {
    const requirement = this.#resolve(route);
    if (requirement === undefined) return;
    if (this.#verifier === undefined) {
      throw missingJwks(`route ${route.method} ${route.url} declares auth '${requirement.mode}'`);
    }
    const hook = authHook(this.#verifier, requirement, this.#realm);
    route.onRequest = route.onRequest
      ? [...(Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]), hook]
      : [hook];
    document(route, requirement);
  }

  #resolve(route: RouteOptions): Requirement | undefined {
    const c = (route.config ?? {}) as RouteAuthConfig & { fallback?: boolean };
    if (isKitRoute(route.url, c)) return undefined;
    const where = `route ${route.method} ${route.url}`;
    if (c.auth !== undefined && !AUTH_MODES.includes(c.auth)) {
      throw invalid(`${where}: auth must be one of ${AUTH_MODES.join(', ')}`);
    }
    const roles = names(c.roles, 'roles', where);
    const scopes = names(c.scopes, 'scopes', where);
    const needsPrincipal = roles !== undefined || scopes !== undefined || c.crossTenant === true;
    if (needsPrincipal && c.auth !== undefined && c.auth !== 'required') {
      throw invalid(`${where}: roles, scopes and crossTenant need auth 'required', not '${c.auth}'`);
    }
    const mode = needsPrincipal ? 'required' : (c.auth ?? this.#defaultMode);
    return mode === 'none' ? undefined : { mode, roles, scopes };
  }
}

/** The route-level onRequest hook: bearer → principal → roles/scopes. */
function authHook(verifier: JwtVerifier, need: Requirement, realm: string) {
  const challenge = `Bearer realm="${realm}"`;
  const invalidToken = `${challenge}, error="invalid_token"`;
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const credentials = parseBearer(request.headers.authorization);
    if (credentials.kind === 'absent') {
      if (need.mode === 'optional') return;
      reply.header('www-authenticate', challenge);
      throw CoreErrors.UNAUTHENTICATED();
    }
    if (credentials.kind === 'malformed') {
      reply.header('www-authenticate', invalidToken);
      throw CoreErrors.UNAUTHENTICATED({ message: 'The bearer token is malformed' });
    }
    let principal: Principal;
    try {
      principal = await verifier.verify(credentials.token);
    } catch (err) {
      if (isOutrigError(err, 'UNAUTHENTICATED')) {
        // The reason (expired, bad signature, wrong aud…) is for operators, never for the client.
        request.log.debug({ reason: (err.cause as { code?: string })?.code }, 'bearer token rejected');
        reply.header('www-authenticate', invalidToken);
        throw CoreErrors.UNAUTHENTICATED({ message: 'The bearer token is invalid or expired' });
      }
      throw err;
    }
    request.principal = principal;
    if (need.roles && !need.roles.some((r) => principal.roles.includes(r))) {
      throw CoreErrors.FORBIDDEN({
        message: `Requires one of the roles: ${need.roles.join(', ')}`,
        details: { requiredRoles: need.roles },
      });
    }
    const missing = need.scopes?.filter((s) => !principal.scopes.includes(s));
    if (missing && missing.length > 0) {
      reply.header(
        'www-authenticate',
        `${challenge}, error="insufficient_scope", scope="${need.scopes?.join(' ')}"`,
      );
      throw CoreErrors.FORBIDDEN({
        message: `Requires the scopes: ${need.scopes?.join(' ')}`,
        details: { requiredScopes: need.scopes, missingScopes: missing },
      });
    }
  };
}

/** OpenAPI: a bearer security requirement (optional: `{}` or bearer) and the 401/403 answers. */
function document(route: RouteOptions, need: Requirement): void {
  route.schema ??= {};
  const schema = route.schema as {
    security?: unknown;
    response?: Record<string, unknown>;
    querystring?: unknown;
  };
  schema.security = need.mode === 'optional' ? [{}, { bearerAuth: [] }] : [{ bearerAuth: [] }];
  const response = { ...schema.response };
  response[401] ??= Unauthenticated;
  const crossTenant = (route.config as RouteAuthConfig).crossTenant === true;
  if (need.roles || need.scopes || crossTenant) response[403] ??= Forbidden;
  schema.response = response;
  if (crossTenant) addTenantQuery(schema);
}

/** Declares `?tenant=` on crossTenant routes (documented, and kept by querystring validation). */
function addTenantQuery(schema: { querystring?: unknown }): void {
  const tenant = Type.String({ minLength: 1, description: 'admin only: read this tenant (default: all)' });
  const qs = schema.querystring as { type?: string; properties?: Record<string, unknown> } | undefined;
  if (qs === undefined) schema.querystring = Type.Object({ tenant: Type.Optional(tenant) });
  else if (qs.type === 'object') schema.querystring = { ...qs, properties: { ...qs.properties, tenant } };
}

function names(value: unknown, key: string, where: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw invalid(`${where}: ${key} must be a non-empty array of names`);
  }
  return Object.freeze([...value]);
}

function invalid(reason: string) {
  return CoreErrors.SERVICE_OPTIONS_INVALID({ params: { reason } });
}
