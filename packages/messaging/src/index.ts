export type {
  Broker,
  BrokerCapabilities,
  Delivery,
  DeliveryHandler,
  OutgoingMessage,
  PublishResult,
  SubscribeOptions,
  Subscription,
  TailHandler,
  TailMessage,
} from './broker.ts';
export { CLOUD_EVENT_ATTRIBUTES, type CloudEvent, defaultTopic } from './cloud-event.ts';
// --- consumers, inbox, memory broker, resolveBroker exports (below) ---
export { backoffDelay } from './consumer/backoff.ts';
export type {
  ConsumeContext,
  ConsumerHandler,
  DeliveryInfo,
} from './consumer/consume-context.ts';
export {
  type ConsumeSpan,
  type ConsumeSpanInfo,
  type ConsumeTraceHook,
  noopConsumeTrace,
} from './consumer/consume-trace.ts';
export { type Consumer, createConsumer } from './consumer/consumer.ts';
export {
  type BackoffOptions,
  CONSUMER_DEFAULTS,
  type ConsumeErrorInfo,
  type ConsumerLogger,
  type ConsumerOptions,
  type ConsumerPolicy,
  type EventValidator,
} from './consumer/consumer-options.ts';
export type {
  ConsumeOutcome,
  ConsumeRecord,
  ConsumerStats,
  DeadLetterReason,
} from './consumer/consumer-stats.ts';
export type { DeadLetterEvent, DeadLetterExtensions } from './consumer/dead-letter.ts';
export { MessagingErrors } from './errors.ts';
// --- events, outbox, relay exports (below) ---
export {
  type AsyncApiDocument,
  asyncApiDocument,
  CLOUDEVENTS_JSON,
  type ConsumedTopic,
  type EventCatalog,
} from './events/asyncapi.ts';
export { type CreateEventInput, createEvent } from './events/create-event.ts';
export {
  defineEvent,
  type EventData,
  type EventDefinition,
  type EventDefinitionOptions,
} from './events/event-definition.ts';
export { createEventRegistry, type EventRegistry } from './events/event-registry.ts';
export { type EventFieldError, validateEvent } from './events/validate-event.ts';
export { type CleanupInboxOptions, cleanupInbox, recordInbox } from './inbox/inbox.ts';
export { inboxMigrations } from './inbox/inbox-migrations.ts';
export {
  type InboxRetention,
  type InboxRetentionOptions,
  startInboxRetention,
} from './inbox/inbox-retention.ts';
export { createMemoryBroker, type MemoryBroker, type MemoryBrokerOptions } from './memory/memory-broker.ts';
export {
  createMemoryHub,
  type MemoryHub,
  type MemoryHubOptions,
  sharedMemoryHub,
} from './memory/memory-hub.ts';
export { createOutbox, type Outbox, type OutboxOptions } from './outbox/outbox.ts';
export {
  listParked,
  type OutboxStatus,
  outboxStatus,
  type ParkedEvent,
  type RedriveFilter,
  redriveParked,
  skipParked,
} from './outbox/outbox-admin.ts';
export {
  DEFAULT_OUTBOX_PARTITIONS,
  OUTBOX_CHANNEL,
  outboxMigrations,
} from './outbox/outbox-migrations.ts';
export { type OutboxTriggerOptions, outboxTriggerMigration } from './outbox/outbox-trigger-migration.ts';
export type { OutboxEntry } from './outbox/outbox-writer.ts';
export type { PublishInput, UnitOfWork, UnitOfWorkOptions } from './outbox/unit-of-work.ts';
export { createOutboxRelay, type OutboxRelay, type OutboxRelayStats } from './relay/outbox-relay.ts';
export { type OutboxListen, type OutboxListener, type PgListenOptions, pgListen } from './relay/pg-listen.ts';
export { type OutboxRelayOptions, RELAY_DEFAULTS } from './relay/relay-options.ts';
export { type BrokerSpec, type ResolveBrokerOptions, resolveBroker } from './resolve-broker.ts';
// --- service wiring (lead) ---
export {
  type ConnectMessagingOptions,
  connectMessaging,
  type ServiceMessaging,
} from './service/connect-messaging.ts';
export { messagingConfig, messagingOptions } from './service/messaging-config.ts';
export {
  consumeDurationMetric,
  type MetricsHost,
  registerMessagingMetrics,
} from './service/messaging-metrics.ts';
// --- tracing ---
export {
  MESSAGING_SPAN_ATTRIBUTES,
  MESSAGING_SPAN_NAMES,
  MESSAGING_TRACER_NAME,
} from './tracing/messaging-tracer.ts';
export { openTelemetryConsumeTrace } from './tracing/otel-consume-trace.ts';
export type { TraceCarrier } from './tracing/trace-carrier.ts';
