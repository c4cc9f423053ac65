/**
 * `@outrig/messaging/adapter-kit`: the pieces every broker adapter (NATS, Kafka, RabbitMQ,
 * Redis) needs the same way — a FIFO semaphore for `maxInFlight`, per-key ordered batch
 * publishing, the `subscribe` argument checks, option checks, and the bookkeeping of
 * subscriptions and publishes for `close()`. For adapter authors; services do not need it.
 */
export { BrokerResources } from './broker-resources.ts';
export { optionChecks } from './option-checks.ts';
export { publishInKeyOrder } from './publish-in-key-order.ts';
export { Semaphore } from './semaphore.ts';
export { type CheckedSubscribe, checkSubscribe } from './subscribe-options.ts';
