export { RedisBusErrors } from './errors.ts';
export { fnv1a32, partitionForKey } from './partition.ts';
export { createRedisBroker, type RedisBroker } from './redis-broker.ts';
export { REDIS_BROKER_DEFAULTS, type RedisBrokerOptions } from './redis-broker-options.ts';
