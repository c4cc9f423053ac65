import { defineErrors } from '@outrig/core/errors';

/**
 * Every error code of @outrig/gateway. Listed in docs/errors.md. Requests that fail upstream
 * answer with the service client's codes from @outrig/core (`UPSTREAM_UNAVAILABLE`,
 * `UPSTREAM_TIMEOUT`, `CIRCUIT_OPEN`, `SERVICE_NO_INSTANCES`): a caller sees the same code
 * whether the gateway or a service made the failed call.
 */
export const GatewayErrors = defineErrors({
  GATEWAY_OPTIONS_INVALID: { status: 500, message: 'Invalid gateway options: {reason}' },
});
