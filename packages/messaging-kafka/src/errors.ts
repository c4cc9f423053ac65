import { defineErrors } from '@outrig/core/errors';

/**
 * Every error code of @outrig/messaging-kafka (listed in docs/errors.md and the package README).
 *
 * @example
 * import { isOutrigError } from '@outrig/core/errors';
 * const [result] = await broker.publish([message]);
 * if (!result?.ok && isOutrigError(result?.error, 'KAFKA_PUBLISH_FAILED')) scheduleRetry();
 */
export const KafkaErrors = defineErrors({
  KAFKA_OPTIONS_INVALID: { status: 500, message: 'Invalid Kafka broker option {option}: {reason}' },
  KAFKA_CONNECT_FAILED: {
    status: 503,
    message: 'Cannot reach a Kafka broker at {brokers}',
    retryable: true,
  },
  KAFKA_TOPIC_INVALID: {
    status: 500,
    message: 'Topic {topic} is not valid for Kafka: use up to 200 letters, digits, ., _ and -',
  },
  KAFKA_SUBSCRIBE_INVALID: { status: 500, message: 'Invalid subscription: {reason}' },
  KAFKA_SUBSCRIBE_FAILED: {
    status: 503,
    message: 'Could not join consumer group {group} for {topics}',
    retryable: true,
  },
  KAFKA_EVENT_INVALID: { status: 422, message: 'Event {id} cannot be sent in binary mode: {reason}' },
  KAFKA_PUBLISH_FAILED: {
    status: 503,
    message: 'Kafka did not acknowledge event {id} on topic {topic}',
    retryable: true,
  },
  KAFKA_PUBLISH_SKIPPED: {
    status: 503,
    message: 'Event {id} not sent: an earlier message with key {key} in the same batch failed',
    retryable: true,
  },
  KAFKA_MESSAGE_INVALID: {
    status: 500,
    message: 'Message {offset} on {topic}[{partition}] is not an Outrig CloudEvent ({reason}); skipped',
  },
  KAFKA_COMMIT_FAILED: {
    status: 503,
    message: 'Could not commit offsets of group {group}; the messages after them will be redelivered',
    retryable: true,
  },
  KAFKA_HANDLER_FAILED: {
    status: 500,
    message: 'Handler for event {id} failed without settling the delivery; nacked',
  },
  KAFKA_CONSUMER_FAILED: {
    status: 503,
    message: 'The Kafka consumer of group {group} failed: {reason}',
    retryable: true,
  },
  KAFKA_PING_FAILED: {
    status: 503,
    message: 'Kafka did not answer a metadata request: {reason}',
    retryable: true,
  },
  KAFKA_BROKER_CLOSED: { status: 503, message: 'The Kafka broker is closed' },
});
