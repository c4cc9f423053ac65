import { defineErrors } from './errors/outrig-error.ts';

/**
 * Every error code of @outrig/core. Each is listed in docs/errors.md (a test checks).
 * Codes are stable: never reuse or rename one.
 */
export const CoreErrors = defineErrors({
  CONFIG_INVALID: { status: 500, message: 'Invalid configuration: {summary}' },
  VALIDATION_FAILED: { status: 400, message: 'Request validation failed' },
  MALFORMED_JSON: { status: 400, message: 'Request body is not valid JSON' },
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  MALFORMED_URL: { status: 400, message: 'The URL is not valid: a percent-encoding in it does not decode' },
  PATH_PARAM_TOO_LONG: { status: 400, message: 'A path parameter exceeds the maximum length' },
  MALFORMED_REQUEST: { status: 400, message: 'The HTTP request is malformed' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large' },
  UNAUTHORIZED: { status: 401, message: 'Authentication required' },
  UNAUTHENTICATED: { status: 401, message: 'A valid bearer token is required' },
  FORBIDDEN: { status: 403, message: 'Not allowed' },
  TENANT_REQUIRED: { status: 403, message: 'This route needs a principal with a tenant' },
  NOT_FOUND: { status: 404, message: 'No route for {method} {path}' },
  RESOURCE_NOT_FOUND: { status: 404, message: '{resource} {id} not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: '{method} is not allowed on {path}' },
  API_VERSION_UNKNOWN: { status: 404, message: 'API version {version} does not exist' },
  CONFLICT: { status: 409, message: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body exceeds {limit} bytes' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type {contentType}' },
  UNPROCESSABLE: { status: 422, message: 'The request cannot be processed' },
  RATE_LIMITED: { status: 429, message: 'Too many requests', retryable: true },
  INTERNAL_ERROR: { status: 500, message: 'Internal server error' },
  NOT_READY: { status: 503, message: 'Service not ready', retryable: true },
  SHUTTING_DOWN: { status: 503, message: 'Service is shutting down', retryable: true },
  AUTH_KEYS_UNAVAILABLE: {
    status: 503,
    message: 'Access tokens cannot be verified: the signing keys (JWKS) are unreachable',
    retryable: true,
  },
  SERVICE_TOKEN_FAILED: {
    status: 503,
    message: 'Could not obtain a service token: {reason}',
    retryable: true,
  },
  SERVICE_OPTIONS_INVALID: { status: 500, message: 'Invalid createService options: {reason}' },
  // Service client (src/client): calls to other services.
  SERVICE_UNRESOLVED: { status: 500, message: 'Cannot resolve service {target}: {reason}' },
  SERVICE_NO_INSTANCES: { status: 503, message: 'No instance of {target} is available', retryable: true },
  UPSTREAM_UNAVAILABLE: { status: 503, message: '{target} is unavailable', retryable: true },
  UPSTREAM_TIMEOUT: {
    status: 503,
    message: '{target} did not answer within {timeoutMs} ms',
    retryable: true,
  },
  UPSTREAM_BAD_RESPONSE: { status: 502, message: '{target} sent an unexpected response (HTTP {status})' },
  CIRCUIT_OPEN: { status: 503, message: 'Calls to {target} are suspended (circuit open)', retryable: true },
  CLIENT_OPTIONS_INVALID: { status: 500, message: 'Invalid service client options: {reason}' },
  CLIENT_REQUEST_INVALID: { status: 500, message: 'Invalid call to {target}: {reason}' },
});
