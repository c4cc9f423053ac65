import { defineErrors } from '@outrig/core/errors';

/** Every error code of @outrig/messaging-redis. Listed in docs/errors.md and the package README. */
export const RedisBusErrors = defineErrors({
  REDIS_BUS_OPTIONS_INVALID: { status: 500, message: 'Invalid Redis broker option {option}: {reason}' },
  REDIS_BUS_CONNECT_FAILED: {
    status: 503,
    message: 'Cannot connect to Redis at {url}',
    retryable: true,
  },
  REDIS_BUS_TOPIC_INVALID: {
    status: 500,
    message: 'Topic {topic} is not valid: use dot-separated tokens of letters, digits, _ and -',
  },
  REDIS_BUS_SUBSCRIBE_INVALID: { status: 500, message: 'Invalid subscription: {reason}' },
  REDIS_BUS_EVENT_INVALID: { status: 422, message: 'Event {id} cannot be sent in binary mode: {reason}' },
  REDIS_BUS_PUBLISH_FAILED: {
    status: 503,
    message: 'Redis did not accept event {id} on stream {stream}',
    retryable: true,
  },
  REDIS_BUS_PUBLISH_SKIPPED: {
    status: 503,
    message: 'Event {id} not sent: an earlier message with key {key} in the same batch failed',
    retryable: true,
  },
  REDIS_BUS_MESSAGE_INVALID: {
    status: 500,
    message:
      'Entry {entry} on stream {stream} is not an Outrig CloudEvent ({reason}); acknowledged and skipped',
  },
  REDIS_BUS_ACK_FAILED: {
    status: 503,
    message: 'The ack of event {id} was not recorded ({reason}); it will be redelivered',
    retryable: true,
  },
  REDIS_BUS_HANDLER_FAILED: {
    status: 500,
    message: 'Handler for event {id} failed without settling the delivery; nacked',
  },
  REDIS_BUS_PING_FAILED: { status: 503, message: 'Redis did not answer a ping: {reason}', retryable: true },
  REDIS_BUS_CLOSED: { status: 503, message: 'The Redis broker is closed' },
});
