export type {
  Broker,
  BrokerCapabilities,
  Delivery,
  DeliveryHandler,
  OutgoingMessage,
  PublishResult,
  SubscribeOptions,
  Subscription,
} from './broker.ts';
export { CLOUD_EVENT_ATTRIBUTES, type CloudEvent, defaultTopic } from './cloud-event.ts';
