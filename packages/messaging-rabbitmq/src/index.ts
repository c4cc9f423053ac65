export { RabbitMqErrors } from './errors.ts';
export { fnv1a32, partitionForKey } from './partition.ts';
export { createRabbitMqBroker, type RabbitMqBroker } from './rabbitmq-broker.ts';
export { RABBITMQ_BROKER_DEFAULTS, type RabbitMqBrokerOptions } from './rabbitmq-broker-options.ts';
