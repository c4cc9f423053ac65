import { defineErrors } from '@outrig/core/errors';

/**
 * Every error code of @outrig/messaging-postgres (listed in docs/errors.md).
 *
 * @example
 * import { isOutrigError } from '@outrig/core/errors';
 * const [result] = await broker.publish([message]);
 * if (!result?.ok && isOutrigError(result?.error, 'PGBUS_PUBLISH_FAILED')) scheduleRetry();
 */
export const PostgresBusErrors = defineErrors({
  PGBUS_OPTIONS_INVALID: { status: 500, message: 'Invalid Postgres broker option {name}: {reason}' },
  PGBUS_SUBSCRIBE_INVALID: { status: 500, message: 'Invalid subscription: {reason}' },
  PGBUS_MESSAGE_INVALID: { status: 422, message: 'Message {index} of the batch is invalid: {reason}' },
  PGBUS_KEY_BLOCKED: {
    status: 503,
    retryable: true,
    message: 'Not published: an earlier message with key {key} in the same batch failed',
  },
  PGBUS_PUBLISH_FAILED: {
    status: 503,
    retryable: true,
    message: 'Publishing to the Postgres bus failed; the batch was rolled back',
  },
  PGBUS_SCHEMA_FAILED: { status: 500, message: 'Could not create or check the bus schema {schema}' },
  PGBUS_UNAVAILABLE: { status: 503, retryable: true, message: 'The Postgres bus database is unreachable' },
  PGBUS_CLOSED: { status: 503, message: 'The Postgres broker is closed' },
  PGBUS_LEASE_LOST: {
    status: 503,
    retryable: true,
    message: 'This member no longer holds partition {partition} of {topic}: the message will be redelivered',
  },
});
