export { PostgresBusErrors } from './errors.ts';
export { createPostgresBroker, type PostgresBroker } from './postgres-broker.ts';
export {
  POSTGRES_BROKER_DEFAULTS,
  type PostgresBrokerOptions,
} from './postgres-broker-options.ts';
export { postgresBusMigrations } from './postgres-bus-migrations.ts';
