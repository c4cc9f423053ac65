export { KafkaErrors } from './errors.ts';
export { createKafkaBroker, type KafkaBroker } from './kafka-broker.ts';
export { KAFKA_BROKER_DEFAULTS, type KafkaBrokerOptions } from './kafka-broker-options.ts';
