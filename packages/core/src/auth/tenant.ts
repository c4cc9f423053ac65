import type { FastifyRequest } from 'fastify';
import { CoreErrors } from '../errors.ts';

/** The role allowed to read across tenants on routes declaring `crossTenant: true`. */
export const CROSS_TENANT_ROLE = 'admin';

/**
 * Which tenants a repository query may touch: one tenant, or every tenant (an admin on a
 * `crossTenant` route who passed no `?tenant=`). Repositories switch on `kind`, so forgetting
 * the "all" case is a type error rather than a data leak.
 */
export type TenantScope = { readonly kind: 'tenant'; readonly tenant: string } | { readonly kind: 'all' };

type TenantRequest = Pick<FastifyRequest, 'principal' | 'query' | 'routeOptions'>;

/**
 * The caller's tenant id. Throws 401 `UNAUTHENTICATED` without a principal (declare `auth` on
 * the route) and 403 `TENANT_REQUIRED` when the principal has no tenant (service tokens).
 *
 * @example
 * api.get('/notifications', { config: { auth: 'required' } }, async (request) =>
 *   notifications.list(tenantOf(request)));
 */
export function tenantOf(request: Pick<FastifyRequest, 'principal'>): string {
  const principal = request.principal;
  if (principal === undefined) throw CoreErrors.UNAUTHENTICATED();
  if (principal.tenant === undefined) throw CoreErrors.TENANT_REQUIRED();
  return principal.tenant;
}

/**
 * The tenants a request may touch. On ordinary routes: the caller's tenant (as
 * {@link tenantOf}). On routes declaring `crossTenant: true`: an `admin` gets the tenant named
 * by `?tenant=`, or `{ kind: 'all' }` without it; anyone else gets their own tenant, and 403
 * `FORBIDDEN` when asking for another one.
 *
 * @example
 * api.get('/notifications', { config: { crossTenant: true } }, async (request) =>
 *   notifications.list(tenantScope(request)));
 */
export function tenantScope(request: TenantRequest): TenantScope {
  const principal = request.principal;
  if (principal === undefined) throw CoreErrors.UNAUTHENTICATED();
  const crossTenant = (request.routeOptions.config as { crossTenant?: boolean } | undefined)?.crossTenant;
  if (crossTenant === true) {
    const asked = requestedTenant(request.query);
    if (principal.roles.includes(CROSS_TENANT_ROLE)) {
      return asked === undefined ? { kind: 'all' } : { kind: 'tenant', tenant: asked };
    }
    if (asked !== undefined && asked !== principal.tenant) {
      throw CoreErrors.FORBIDDEN({
        message: `Only the ${CROSS_TENANT_ROLE} role may read another tenant`,
        details: { requiredRoles: [CROSS_TENANT_ROLE] },
      });
    }
  }
  return { kind: 'tenant', tenant: tenantOf(request) };
}

function requestedTenant(query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.tenant;
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') {
    throw CoreErrors.BAD_REQUEST({ message: 'tenant must be given once, as ?tenant=<id>' });
  }
  return value;
}
