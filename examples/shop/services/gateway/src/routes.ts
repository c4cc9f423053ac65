import type { GatewayRoute } from '@outrig/gateway';

/**
 * The shop's route table: which service serves which `/api/*\/<resource>` prefix. Each service
 * still authorizes its own routes (roles per route); the edge rejects bad tokens early
 * (`optional`: anonymous callers pass, an invalid token is 401 here) and requires a token where
 * every route of a prefix needs one.
 */
export const shopRoutes: GatewayRoute[] = [
  // register, login, refresh are anonymous; /auth/me and logout carry a token.
  { path: '/api/*/auth', service: 'auth-service', auth: 'optional' },
  { path: '/.well-known/jwks.json', service: 'auth-service' },
  // Reading the catalogue is public; writes need an admin token (checked by the service).
  { path: '/api/*/products', service: 'inventory-service', auth: 'optional' },
  { path: '/api/*/notifications', service: 'notification-service', auth: 'optional' },
  // Orders and payments (the order saga) need a token on every route.
  { path: '/api/*/orders', service: 'order-service', auth: 'required' },
  { path: '/api/*/payments', service: 'payment-service', auth: 'required' },
  // A service of the reference system still to come (503 SERVICE_NO_INSTANCES until it runs).
  { path: '/api/*/users', service: 'user-service', auth: 'required' },
];

/** The same table under the name `outrig deploy render` reads (`routes`). */
export const routes = shopRoutes;
