import { CoreErrors, type Principal, Type, tenantOf, tenantScope } from '@outrig/core';

/**
 * The tenant of products nobody assigned to one: rows from before tenants existed, and what an
 * anonymous caller browses when it names no tenant. It is auth-service's admins' tenant too.
 */
export const DEFAULT_TENANT = 'default';

/** A tenant id as auth-service issues them (a claimed name or an account id). */
const TENANT_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const TENANT_ID = new RegExp(TENANT_PATTERN);

/** `?tenant=` of the public product reads. */
export const CatalogueQuery = Type.Object({
  tenant: Type.Optional(
    Type.String({
      pattern: TENANT_PATTERN,
      description: `The tenant whose catalogue to read. Default: the caller's tenant, or \`${DEFAULT_TENANT}\` without a token`,
    }),
  ),
});

/**
 * The tenant a public product read looks at: the one named by `?tenant=`, else the caller's
 * (token), else {@link DEFAULT_TENANT}. Catalogues are public, so naming a tenant is no
 * privilege; what this guarantees is that a read never mixes tenants and that a caller who
 * names none sees only its own tenant's products.
 */
export function catalogueTenant(request: { principal?: Principal | undefined; query: unknown }): string {
  const asked = (request.query as { tenant?: string } | undefined)?.tenant;
  return asked ?? request.principal?.tenant ?? DEFAULT_TENANT;
}

/**
 * The tenant a product write acts in (routes declaring `roles: ['admin'], crossTenant: true`):
 * the one an admin names with `?tenant=`, else the admin's own tenant. A write never targets
 * "all tenants".
 */
export function writeTenant(request: Parameters<typeof tenantScope>[0]): string {
  const scope = tenantScope(request);
  if (scope.kind === 'all') return tenantOf(request);
  if (!TENANT_ID.test(scope.tenant)) {
    // The kit declares `?tenant=` on crossTenant routes as any non-empty string; a product must
    // land in a tenant a token can name.
    throw CoreErrors.VALIDATION_FAILED({
      details: {
        fields: [{ path: 'querystring/tenant', message: `must match pattern "${TENANT_PATTERN}"` }],
      },
    });
  }
  return scope.tenant;
}
