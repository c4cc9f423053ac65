import { type AuthServiceOptions, authServiceConfig } from '@outrig/auth';

/** What makes @outrig/auth the shop's auth-service. */
export const SHOP_AUTH = {
  name: 'auth-service',
  port: 8001,
  audience: 'outrig-shop',
  adminEnv: { email: 'SHOP_ADMIN_EMAIL', password: 'SHOP_ADMIN_PASSWORD' },
} as const satisfies AuthServiceOptions;

/** auth-service's config schema, for `outrig doctor` (which validates it without starting the service). */
export const config = authServiceConfig(SHOP_AUTH);
