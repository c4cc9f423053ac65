/**
 * One scenario's world: a producer database (outbox + relay audit), a consumer database (inbox +
 * effects), a transport (a fresh bus database, or a unique stream prefix on the private
 * nats-server), and helpers to start relay and consumer worker processes against them.
 */
import { randomBytes } from 'node:crypto';
import { createPgClient, type MigrationSet, migrate, type SqlClient } from '@outrig/db';
import { createOutbox, inboxMigrations, type Outbox, outboxMigrations } from '@outrig/messaging';
import { createTestDatabase, type KafkaMock, type TestDatabase } from '@outrig/testing';
import { SOURCE, TOPIC } from './events.ts';
import { deleteStreams, type NatsServer } from './nats-server.ts';
import { sleep } from './wait.ts';
import type { BrokerConfig, ConsumerWorkerConfig, RelayWorkerConfig } from './worker-config.ts';
import { WorkerProcess } from './worker-process.ts';

export type Transport = 'nats' | 'postgres' | 'kafka' | 'rabbitmq' | 'redis';

/**
 * Every relay write to an outbox row (claim, mark, give-back) is recorded with the writer (the
 * relay's `application_name`) and the partition's lease owner and epoch at that instant. The
 * relay's statements lock the lease row FOR SHARE, so no takeover can commit between the write
 * and this read: a row where writer ≠ owner is a mark that fencing should have refused.
 */
const auditMigrations: MigrationSet = {
  name: 'reliability/audit',
  migrations: [
    {
      id: '0001_relay_audit',
      sql: `
CREATE TABLE relay_audit (
  n bigserial PRIMARY KEY,
  event_id uuid NOT NULL,
  partition int NOT NULL,
  kind text NOT NULL,
  writer text NOT NULL,
  owner text,
  epoch bigint,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE FUNCTION reliability_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE o text; e bigint;
BEGIN
  SELECT owner, epoch INTO o, e FROM outbox_lease WHERE partition = NEW.partition;
  INSERT INTO relay_audit (event_id, partition, kind, writer, owner, epoch)
  VALUES (NEW.id, NEW.partition, CASE WHEN NEW.state <> OLD.state THEN NEW.state ELSE 'attempt' END,
          current_setting('application_name'), o, e);
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_relay_audit AFTER UPDATE ON outbox FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.attempts IS DISTINCT FROM NEW.attempts)
  EXECUTE FUNCTION reliability_audit();
`,
    },
  ],
};

const effectsMigrations: MigrationSet = {
  name: 'reliability/effects',
  migrations: [
    {
      id: '0001_effects',
      // No unique constraint on purpose: a handler that ran twice leaves two rows. `prev_version`
      // is the aggregate's last handled version, read under the aggregate's row lock in
      // `handled_version`: it orders handlers by commit, not by insert.
      sql: `
CREATE TABLE effects (
  seq bigserial PRIMARY KEY,
  event_id uuid NOT NULL,
  aggregate_id text NOT NULL,
  version bigint NOT NULL,
  prev_version bigint
);
CREATE TABLE handled_version (aggregate_id text PRIMARY KEY, version bigint NOT NULL, prev bigint);`,
    },
  ],
};

export interface FixtureOptions {
  readonly transport: Transport;
  readonly nats?: NatsServer;
  /** The run's kafka-mock (kafka scenarios). */
  readonly kafka?: KafkaMock;
  /** The private server of a `rabbitmq` or `redis` transport. */
  readonly server?: { readonly url: string };
  /** Size of the test process' producer pool (concurrent writers + open transactions). */
  readonly writerPool: number;
  /** Adapter options merged into every worker's broker config. */
  readonly brokerOptions?: Record<string, unknown>;
  /** Defaults for relay workers. */
  readonly relay: Omit<RelayWorkerConfig, 'id' | 'producerUrl' | 'broker'>;
  /** Defaults for consumer workers. */
  readonly consumer: Omit<ConsumerWorkerConfig, 'consumerUrl' | 'broker' | 'topic'>;
}

/** What a scenario changes from the shared defaults of {@link scenarioOptions}. */
export interface ScenarioTuning {
  /** Consumer group name (also distinguishes scenarios in logs). */
  readonly group: string;
  readonly writerPool?: number;
  /** Broker options per transport, merged over `{ partitions: 8, … }`. */
  readonly nats?: Record<string, unknown>;
  readonly postgres?: Record<string, unknown>;
  readonly kafka?: Record<string, unknown>;
  readonly relay?: Partial<FixtureOptions['relay']>;
  readonly consumer?: Partial<FixtureOptions['consumer']>;
}

/**
 * Fixture options with the suite's defaults (short leases and ack waits so killed members'
 * work moves quickly, small backoffs); each scenario states only what it changes.
 */
export function scenarioOptions(
  transport: Transport,
  nats: NatsServer | undefined,
  t: ScenarioTuning,
): FixtureOptions {
  return {
    transport,
    nats,
    writerPool: t.writerPool ?? 4,
    brokerOptions:
      transport === 'nats'
        ? { partitions: 8, ackWaitMs: 2_000, ...t.nats }
        : transport === 'kafka'
          ? // Partitions come from the mock's auto-creation (4); a dead member's move after the session.
            { sessionTimeoutMs: 3_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 5_000, ...t.kafka }
          : { partitions: 8, leaseMs: 2_000, pollIntervalMs: 100, ...t.postgres },
    relay: {
      leaseMs: 2_000,
      pollIntervalMs: 100,
      maxAttempts: 10,
      backoff: { baseMs: 100, maxMs: 1_000 },
      statsIntervalMs: 500,
      ...t.relay,
    },
    consumer: {
      group: t.group,
      maxAttempts: 10,
      backoff: { baseMs: 50, maxMs: 500 },
      heartbeatMs: 500,
      maxInFlight: 32,
      poolSize: 4,
      failAggregates: [],
      validate: true,
      ...t.consumer,
    },
  };
}

export class Fixture {
  readonly name: string;
  readonly transport: Transport;
  readonly producer: TestDatabase;
  readonly consumer: TestDatabase;
  readonly bus: TestDatabase | undefined;
  readonly broker: BrokerConfig;
  /** Pool for producing events from the test process. */
  readonly writer: SqlClient;
  readonly outbox: Outbox = createOutbox({ source: SOURCE });
  readonly relays: WorkerProcess[] = [];
  readonly consumers: WorkerProcess[] = [];
  /** Worker stderr, shown when the scenario fails. */
  readonly logs: string[] = [];
  /** Supervised workers that exited on their own. */
  readonly crashes: string[] = [];
  #stopping = false;
  readonly #options: FixtureOptions;
  #relaySeq = 0;
  #consumerSeq = 0;

  private constructor(
    name: string,
    options: FixtureOptions,
    dbs: { producer: TestDatabase; consumer: TestDatabase; bus: TestDatabase | undefined },
    broker: BrokerConfig,
  ) {
    this.name = name;
    this.transport = options.transport;
    this.#options = options;
    this.producer = dbs.producer;
    this.consumer = dbs.consumer;
    this.bus = dbs.bus;
    this.broker = broker;
    this.writer = createPgClient({
      url: dbs.producer.url,
      max: options.writerPool,
      applicationName: 'rel-writer',
    });
  }

  static async create(name: string, options: FixtureOptions): Promise<Fixture> {
    const tag = name.replace(/\W/g, '_').slice(0, 12);
    const created: TestDatabase[] = [];
    const database = async (suffix: string) => {
      const db = await createTestDatabase(`rel_${tag}_${suffix}`);
      created.push(db);
      return db;
    };
    try {
      const producer = await database('p');
      const consumer = await database('c');
      const bus = options.transport === 'postgres' ? await database('bus') : undefined;
      await migrate(producer.sql, [outboxMigrations, auditMigrations]);
      await migrate(consumer.sql, [inboxMigrations, effectsMigrations]);
      let broker: BrokerConfig;
      if (options.transport === 'postgres') {
        broker = { url: bus!.url, options: { poolSize: 3, ...options.brokerOptions } };
      } else if (options.transport === 'kafka') {
        if (!options.kafka) throw new Error('kafka transport needs the kafka-mock');
        // A topic prefix per scenario: the mock lives for the whole run.
        const topicPrefix = `rel-${randomBytes(4).toString('hex')}.`;
        broker = { url: options.kafka.url, options: { topicPrefix, ...options.brokerOptions } };
      } else if (options.transport === 'rabbitmq' || options.transport === 'redis') {
        if (!options.server) throw new Error(`${options.transport} transport needs its private server`);
        // A unique prefix per scenario: its own exchanges/queues or streams on the shared server.
        const prefix = `rel${randomBytes(5).toString('hex')}`;
        broker = { url: options.server.url, options: { prefix, ...options.brokerOptions } };
      } else {
        if (!options.nats) throw new Error('nats transport needs the private nats-server');
        const streamPrefix = `REL${randomBytes(5).toString('hex')}`;
        broker = { url: options.nats.url, options: { streamPrefix, ...options.brokerOptions } };
      }
      return new Fixture(name, options, { producer, consumer, bus }, broker);
    } catch (error) {
      for (const db of created) await db.drop().catch(() => {});
      throw error;
    }
  }

  async startRelay(overrides: Partial<RelayWorkerConfig> = {}): Promise<WorkerProcess> {
    const n = ++this.#relaySeq;
    const config: RelayWorkerConfig = {
      ...this.#options.relay,
      id: `rel-relay-${n}-${randomBytes(3).toString('hex')}`,
      producerUrl: this.producer.url,
      broker: this.broker,
      ...overrides,
    };
    const worker = await WorkerProcess.start('relay-worker.ts', `relay#${n}`, config, this.logs);
    this.relays.push(worker);
    return worker;
  }

  async startConsumer(overrides: Partial<ConsumerWorkerConfig> = {}): Promise<WorkerProcess> {
    const n = ++this.#consumerSeq;
    const config: ConsumerWorkerConfig = {
      ...this.#options.consumer,
      consumerUrl: this.consumer.url,
      broker: this.broker,
      topic: TOPIC,
      ...overrides,
    };
    const worker = await WorkerProcess.start('consumer-worker.ts', `consumer#${n}`, config, this.logs);
    this.consumers.push(worker);
    return worker;
  }

  /**
   * Starts a worker that is replaced whenever it exits on its own (a crash: the suite's own
   * kills and stops are not counted). Crashes are listed in {@link crashes}.
   */
  async startSupervised(
    kind: 'relay' | 'consumer',
    overrides: Partial<ConsumerWorkerConfig> = {},
  ): Promise<void> {
    const start = () => (kind === 'relay' ? this.startRelay() : this.startConsumer(overrides));
    const watch = (worker: WorkerProcess) => {
      void worker.exited.then(async () => {
        if (this.#stopping || worker.killedBySuite) return;
        const { exitCode, signalCode } = worker.child;
        this.crashes.push(`${worker.name} (${signalCode ?? `exit ${exitCode}`})`);
        try {
          watch(await start());
        } catch (error) {
          this.crashes.push(`${kind} restart failed: ${(error as Error).message.split('\n')[0]}`);
        }
      });
    };
    watch(await start());
  }

  /** Stops every worker still running (SIGTERM, then SIGKILL after a grace period). */
  async stopWorkers(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.relays, ...this.consumers].map((w) => w.stop()));
  }

  /** Stops workers, drops the databases, deletes the scenario's streams. */
  async dispose(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.relays, ...this.consumers].map((w) => w.stop(3_000)));
    // Dropping first (WITH FORCE) ends connections a failed scenario may have left in a held
    // transaction; the writer pool's close would wait for those forever, hence the bound.
    for (const db of [this.producer, this.consumer, this.bus]) await db?.drop().catch(() => {});
    const prefix = this.broker.options.streamPrefix;
    if (this.transport === 'nats' && typeof prefix === 'string') {
      await deleteStreams(this.broker.url, prefix).catch((error: Error) =>
        this.logs.push(`cleanup: streams ${prefix}_* not deleted: ${error.message}`),
      );
    }
    await Promise.race([this.writer.close().catch(() => {}), sleep(2_000)]);
  }
}
