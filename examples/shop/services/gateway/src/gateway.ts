import { type CreateGatewayOptions, createGateway, type Gateway } from '@outrig/gateway';
import { shopRoutes } from './routes.ts';

/**
 * The shop's gateway on port 10000: every service of the reference system behind one address,
 * found in the registry (`REGISTRY_URL`, default `local:`). `GATEWAY_ROUTES` or
 * `GATEWAY_ROUTES_FILE` replace the built-in table.
 */
export function createShopGateway(
  options: Pick<CreateGatewayOptions, 'env' | 'logStream'> = {},
): Promise<Gateway> {
  return createGateway({
    name: 'gateway',
    port: 10_000,
    description: 'The shop API: auth, inventory, notifications (and users, orders, payments)',
    routes: shopRoutes,
    ...options,
  });
}
