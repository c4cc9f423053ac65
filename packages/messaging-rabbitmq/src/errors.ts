import { defineErrors } from '@outrig/core/errors';

/** Every error code of @outrig/messaging-rabbitmq. Listed in docs/errors.md and the package README. */
export const RabbitMqErrors = defineErrors({
  RABBITMQ_OPTIONS_INVALID: { status: 500, message: 'Invalid RabbitMQ broker option {option}: {reason}' },
  RABBITMQ_CONNECT_FAILED: {
    status: 503,
    message: 'Cannot connect to RabbitMQ at {url}',
    retryable: true,
  },
  RABBITMQ_TOPIC_INVALID: {
    status: 500,
    message: 'Topic {topic} is not valid: use dot-separated tokens of letters, digits, _ and -',
  },
  RABBITMQ_SUBSCRIBE_INVALID: { status: 500, message: 'Invalid subscription: {reason}' },
  RABBITMQ_TOPOLOGY_CONFLICT: {
    status: 500,
    message: '{kind} {name} exists with other settings than this broker declares: {reason}',
  },
  RABBITMQ_EVENT_INVALID: { status: 422, message: 'Event {id} cannot be sent in binary mode: {reason}' },
  RABBITMQ_PUBLISH_FAILED: {
    status: 503,
    message: 'RabbitMQ did not confirm event {id} on exchange {exchange}',
    retryable: true,
  },
  RABBITMQ_PUBLISH_SKIPPED: {
    status: 503,
    message: 'Event {id} not sent: an earlier message with key {key} in the same batch failed',
    retryable: true,
  },
  RABBITMQ_MESSAGE_INVALID: {
    status: 500,
    message: 'Message on queue {queue} is not an Outrig CloudEvent ({reason}); dropped',
  },
  RABBITMQ_ACK_FAILED: {
    status: 503,
    message: 'The ack of event {id} did not reach RabbitMQ; it will be redelivered',
    retryable: true,
  },
  RABBITMQ_HANDLER_FAILED: {
    status: 500,
    message: 'Handler for event {id} failed without settling the delivery; nacked',
  },
  RABBITMQ_PING_FAILED: { status: 503, message: 'RabbitMQ is not reachable: {reason}', retryable: true },
  RABBITMQ_BROKER_CLOSED: { status: 503, message: 'The RabbitMQ broker is closed' },
});
