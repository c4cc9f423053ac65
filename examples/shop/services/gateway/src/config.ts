import { discoveryConfig } from '@outrig/discovery';
import { gatewayConfig } from '@outrig/gateway';

/**
 * The gateway's config schema on top of the kit's core keys (what `createGateway` reads), for
 * `outrig doctor`, which validates it without starting the gateway.
 */
export const config = { ...discoveryConfig, ...gatewayConfig };
