import { databaseConfig } from '@outrig/db';
import { discoveryConfig } from '@outrig/discovery';
import { messagingConfig } from '@outrig/messaging';

/**
 * notification-service's config schema on top of the kit's core keys: what `createService({ config })` gets,
 * and what `outrig doctor` validates without starting the service.
 */
export const config = { ...databaseConfig, ...messagingConfig, ...discoveryConfig };
