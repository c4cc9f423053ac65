import { defineErrors } from '@outrig/core/errors';

/**
 * Every error code of @outrig/discovery. Listed in docs/errors.md and in the package README.
 *
 * @example
 * import { isOutrigError } from '@outrig/core/errors';
 * try {
 *   await registry.register({ name: 'inventory-service', url: 'http://10.0.0.7:8004' });
 * } catch (err) {
 *   if (isOutrigError(err, 'REGISTRY_READ_ONLY')) console.warn('the platform registers this instance');
 *   else throw err;
 * }
 */
export const DiscoveryErrors = defineErrors({
  REGISTRY_URL_INVALID: {
    status: 500,
    message:
      'Registry URL {url} is invalid: {reason} (expected local:, static:name=http://host:port, etcd://host:2379, consul://host:8500 or dns:domain)',
  },
  REGISTRY_OPTIONS_INVALID: { status: 500, message: 'Invalid registry options: {reason}' },
  REGISTRATION_INVALID: { status: 500, message: 'Invalid registration: {reason}' },
  REGISTRY_READ_ONLY: {
    status: 500,
    message: 'The {kind} registry is read-only: instances cannot register through it',
  },
  REGISTRY_UNAVAILABLE: {
    status: 503,
    message: 'The {kind} registry is unavailable: {reason}',
    retryable: true,
  },
  REGISTRY_CLOSED: { status: 500, message: 'The {kind} registry is closed' },
  SERVICE_NOT_REGISTERED: {
    status: 503,
    message: 'This instance is not registered in the {kind} registry yet: {reason}',
    retryable: true,
  },
});
