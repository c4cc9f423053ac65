// Who may call the product routes, in both API versions. Each helper returns a fresh object:
// Fastify keeps (and extends) the config object of every route.

/** Product reads are public: a token is optional and only picks the default tenant (tenants.ts). */
export function publicRead() {
  return { auth: 'optional' as const };
}

/** Product writes need the `admin` role; `crossTenant` lets the admin name the tenant (`?tenant=`). */
export function adminWrite() {
  return { roles: ['admin'], crossTenant: true };
}

/** The path of a product, readable by anyone: it names the product's tenant. */
export function productLocation(version: number, product: { id: string; tenant: string }): string {
  return `/api/v${version}/products/${product.id}?tenant=${encodeURIComponent(product.tenant)}`;
}
