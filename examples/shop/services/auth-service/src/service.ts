import { type AuthServiceConfig, type AuthServiceOptions, createAuthService } from '@outrig/auth';
import type { Service } from '@outrig/core';
import { SHOP_AUTH } from './config.ts';

/**
 * The shop's auth-service (port 8001): @outrig/auth with the shop's audience (`outrig-shop`) and
 * its development admin from `SHOP_ADMIN_EMAIL`/`SHOP_ADMIN_PASSWORD`.
 *
 * @example
 * const service = await createShopAuthService({ env: { DATABASE_URL: url, BUS_URL: 'memory:' } });
 * await service.start();
 */
export function createShopAuthService(
  options: Pick<AuthServiceOptions, 'env' | 'logStream' | 'scrypt' | 'storage'> = {},
): Promise<Service<AuthServiceConfig>> {
  return createAuthService({ ...SHOP_AUTH, ...options });
}
