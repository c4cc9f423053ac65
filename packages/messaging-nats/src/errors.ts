import { defineErrors } from '@outrig/core/errors';

/** Every error code of @outrig/messaging-nats. Listed in docs/errors.md and the package README. */
export const NatsErrors = defineErrors({
  NATS_OPTIONS_INVALID: { status: 500, message: 'Invalid NATS broker option {option}: {reason}' },
  NATS_CONNECT_FAILED: {
    status: 503,
    message: 'Cannot connect to NATS at {servers}',
    retryable: true,
  },
  NATS_JETSTREAM_UNAVAILABLE: {
    status: 503,
    message: 'JetStream is not enabled for this NATS account/server',
    retryable: true,
  },
  NATS_TOPIC_INVALID: {
    status: 500,
    message: 'Topic {topic} is not valid: use dot-separated tokens of letters, digits, _ and -',
  },
  NATS_SUBSCRIBE_INVALID: { status: 500, message: 'Invalid subscription: {reason}' },
  NATS_STREAM_CONFLICT: {
    status: 500,
    message: 'Stream {stream} exists but does not match topic {topic}: {reason}',
  },
  NATS_CONSUMER_CONFLICT: {
    status: 500,
    message: 'Consumer {consumer} on stream {stream} belongs to another group or topic: {reason}',
  },
  NATS_SETUP_FAILED: {
    status: 503,
    message: 'Could not create or update JetStream stream/consumer {name}',
    retryable: true,
  },
  NATS_EVENT_INVALID: { status: 422, message: 'Event {id} cannot be sent in binary mode: {reason}' },
  NATS_PUBLISH_FAILED: {
    status: 503,
    message: 'JetStream did not acknowledge event {id} on {subject}',
    retryable: true,
  },
  NATS_PUBLISH_SKIPPED: {
    status: 503,
    message: 'Event {id} not sent: an earlier message with key {key} in the same batch failed',
    retryable: true,
  },
  NATS_MESSAGE_INVALID: {
    status: 500,
    message: 'Message {seq} on {subject} is not an Outrig CloudEvent ({reason}); terminated',
  },
  NATS_ACK_FAILED: {
    status: 503,
    message: 'JetStream did not confirm the {action} of event {id}; it will be redelivered',
    retryable: true,
  },
  NATS_HANDLER_FAILED: {
    status: 500,
    message: 'Handler for event {id} failed without settling the delivery; nacked',
  },
  NATS_PING_FAILED: { status: 503, message: 'NATS did not answer a ping: {reason}', retryable: true },
  NATS_BROKER_CLOSED: { status: 503, message: 'The NATS broker is closed' },
});
