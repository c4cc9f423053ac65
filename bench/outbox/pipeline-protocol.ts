// Messages between the benchmark (parent) and its pipeline workers (child processes, IPC).
import type { StatementCount } from './counting-pool.ts';

export type Role = 'producer' | 'relay' | 'consumer';
export type Transport = 'postgres' | 'nats' | 'kafka' | 'rabbitmq' | 'redis';

/** Everything a worker needs to start its roles. */
export interface WorkerConfig {
  roles: Role[];
  transport: Transport;
  producerUrl: string;
  consumerUrl: string;
  /** The Postgres transport's bus database. */
  busUrl: string;
  natsUrl: string;
  /** The Kafka transport's bootstrap URL (`kafka://…`, the run's kafka-mock). */
  kafkaUrl: string;
  /** The shared RabbitMQ (`amqp://…`) and Redis (`redis://…`) test servers. */
  amqpUrl: string;
  redisUrl: string;
  /** Unique per run: JetStream streams are `<prefix>_account_events`, Kafka topics `<prefix>.account.events`. */
  streamPrefix: string;
  clients: number;
  group: string;
  /** Partitions per topic for the NATS transport (its default is 16). */
  natsPartitions: number;
}

/**
 * `paced`: `rate` events/s in total, spread evenly over the clients (open loop: a client that
 * falls behind catches up without waiting). `bounded`: as fast as possible, but never more than
 * `maxBacklog` events ahead of the consumer (so the figure is what the whole pipeline sustains,
 * not how fast the producers can fill a queue).
 */
export interface ProduceCommand {
  type: 'produce';
  phase: number;
  mode: 'paced' | 'bounded';
  rate: number;
  maxBacklog: number;
  seconds: number;
}

export type ToWorker =
  | { type: 'init'; config: WorkerConfig }
  | ProduceCommand
  /** Events of `phase` the consumer has handled so far (the producer's credit in bounded mode). */
  | { type: 'credit'; phase: number; handled: number }
  /** Send back (and forget) the samples of `phase`: handled (consumer) and published (relay). */
  | { type: 'collect'; phase: number }
  /** Start of a measured window: forget statement counts and relay counters so far. */
  | { type: 'reset' }
  /** End of a measured window: send the per-role figures since the last reset. */
  | { type: 'report' }
  | { type: 'stop' };

/** Per-role figures of one measured window. */
export interface RoleReport {
  role: Role;
  statements: StatementCount[];
  /** Bus/broker statements of this role (Postgres transport only). */
  busStatements: StatementCount[];
  extra: Record<string, number | null>;
}

export type FromWorker =
  | { type: 'ready'; pid: number }
  /** Flattened `[c, i, commitAtMs]` triples of the phase, and when the phase started. */
  | { type: 'produced'; phase: number; startedAt: number; samples: number[]; errors: number }
  | { type: 'progress'; phase: number; handled: number }
  /**
   * Flattened `[c, i, handledAtMs]` triples (consumer) and `[c, i, publishStartMs, publishEndMs]`
   * quadruples: when the relay's `broker.publish(batch)` call holding the event began and ended.
   */
  | { type: 'collected'; phase: number; handled: number[]; published: number[] }
  | { type: 'reports'; reports: RoleReport[] }
  | { type: 'stopped' }
  | { type: 'error'; message: string };
