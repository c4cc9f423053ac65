export { NatsErrors } from './errors.ts';
export { createNatsBroker, type NatsBroker } from './nats-broker.ts';
export { NATS_BROKER_DEFAULTS, type NatsBrokerOptions } from './nats-broker-options.ts';
export { fnv1a32, partitionForKey } from './partition.ts';
