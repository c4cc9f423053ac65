import { defineErrors } from '@outrig/core/errors';

/**
 * Every error code of @outrig/messaging. Listed in docs/errors.md (a test checks).
 * Two sections, edited by different people: add codes inside your own section only.
 */
export const MessagingErrors = defineErrors({
  // --- events, outbox, relay ---
  EVENT_INVALID: { status: 422, message: 'Event {type} does not match its schema' },
  EVENT_DEFINITION_INVALID: { status: 500, message: 'Invalid event definition {type}: {reason}' },
  EVENT_TYPE_UNKNOWN: { status: 422, message: 'No event definition is registered for type {type}' },
  EVENT_TYPE_DUPLICATE: { status: 500, message: 'Event type {type} is registered twice' },
  OUTBOX_OPTIONS_INVALID: { status: 500, message: 'Invalid outbox options: {reason}' },
  OUTBOX_NOT_IN_TRANSACTION: { status: 500, message: 'The outbox writes only inside an open transaction' },
  OUTBOX_EVENT_UNROUTABLE: { status: 500, message: 'Event {id} cannot go to the outbox: {reason}' },
  OUTBOX_UNIT_CLOSED: { status: 500, message: 'publish() was called after its unit of work ended' },
  RELAY_OPTIONS_INVALID: { status: 500, message: 'Invalid outbox relay options: {reason}' },
  RELAY_STOPPED: { status: 500, message: 'The outbox relay was stopped; create a new one' },
  RELAY_PUBLISH_TIMEOUT: {
    status: 503,
    message: 'The broker did not answer a batch of {count} within {timeoutMs} ms',
    retryable: true,
  },
  // --- consumers, inbox, brokers ---
  BUS_URL_INVALID: {
    status: 500,
    message: 'BUS_URL {url} is not a supported transport URL (supported: {schemes})',
  },
  BUS_ADAPTER_MISSING: {
    status: 500,
    message: 'The {scheme} transport needs the package {package}: run `npm i {package}`',
  },
  BUS_ADAPTER_INVALID: { status: 500, message: 'The package {package} does not export {factory}()' },
  BUS_OPTIONS_INVALID: { status: 500, message: 'Invalid broker options: {reason}' },
  BUS_CLOSED: { status: 503, message: 'The {broker} broker is closed' },
  CONSUMER_OPTIONS_INVALID: { status: 500, message: 'Invalid consumer options: {reason}' },
  CONSUMER_CLOSED: { status: 503, message: 'The consumer is closed' },
  CONSUMER_EVENT_INVALID: { status: 422, message: 'Event {id} is not a valid CloudEvent: {reason}' },
  CONSUMER_HANDLER_TIMEOUT: {
    status: 500,
    message: 'Handler for {type} did not finish within {timeoutMs} ms',
    retryable: true,
  },
  CONSUMER_TX_CLOSED: {
    status: 500,
    message: "The handler's transaction has already ended (timed out or rolled back)",
  },
  CONSUMER_DEAD_LETTER_FAILED: {
    status: 503,
    message: 'Could not publish event {id} to the dead-letter topic {topic}',
    retryable: true,
  },
  INBOX_OPTIONS_INVALID: { status: 500, message: 'Invalid inbox cleanup options: {reason}' },
});
