import { createPgClient, type PgPoolLike, type SqlClient } from '@outrig/db';
import type {
  Broker,
  BrokerCapabilities,
  DeliveryHandler,
  OutgoingMessage,
  PublishResult,
  SubscribeOptions,
  Subscription,
  TailHandler,
} from '@outrig/messaging';
import pg from 'pg';
import { PostgresBusErrors } from './errors.ts';
import { GroupMember } from './internal/group-member.ts';
import { partitionFor } from './internal/partition-for.ts';
import { prepareBatch, TOPIC_PATTERN, writeMessages } from './internal/publisher.ts';
import { deleteExpired } from './internal/retention.ts';
import { ensureSchema } from './internal/schema.ts';
import { TailReader } from './internal/tail-reader.ts';
import { TopicRegistry } from './internal/topic-registry.ts';
import { WakeListener } from './internal/wake-listener.ts';
import {
  type PostgresBrokerOptions,
  type ResolvedPostgresBrokerOptions,
  resolvePostgresBrokerOptions,
} from './postgres-broker-options.ts';

/** The Postgres transport: a {@link Broker} plus retention and crash controls. */
export interface PostgresBroker extends Broker {
  readonly name: 'postgres';
  /** Deletes expired log rows now (the periodic cleanup does the same); resolves to the count. */
  cleanup(): Promise<number>;
  /**
   * Stops at once as a crash would: subscriptions stop without committing, releasing or waiting
   * for handlers (their later ack/nack do nothing), and owned connections are dropped. Leases
   * expire after `leaseMs`, then other members redeliver what was not committed. For failure
   * tests and emergency stops; use `close()` to stop gracefully.
   */
  destroy(): Promise<void>;
}

const CAPABILITIES: BrokerCapabilities = Object.freeze({
  persistent: true,
  consumerGroups: true,
  orderedByKey: true,
  brokerDedupe: true,
  headers: false,
  tail: true,
});

/**
 * Creates the embedded default transport: a Broker over a shared PostgreSQL "bus" database.
 * Options are validated here (PGBUS_OPTIONS_INVALID); the schema is created on first use.
 *
 * @example
 * const broker = createPostgresBroker({ url: 'postgres://postgres@127.0.0.1:5432/bus' });
 * const sub = await broker.subscribe(['order.events'], { group: 'billing' }, async (d) => {
 *   console.log(d.event.type, d.attempt);
 *   await d.ack();
 * });
 * const [result] = await broker.publish([{ topic: 'order.events', key: 'order-1', event }]); // event: a CloudEvent
 * // … on shutdown:
 * await sub.close();
 * await broker.close();
 */
export function createPostgresBroker(options: PostgresBrokerOptions): PostgresBroker {
  return new PostgresBusBroker(resolvePostgresBrokerOptions(options));
}

class PostgresBusBroker implements PostgresBroker {
  readonly name = 'postgres' as const;
  readonly capabilities = CAPABILITIES;
  readonly #o: ResolvedPostgresBrokerOptions;
  readonly #sql: SqlClient;
  readonly #pool: pg.Pool | undefined;
  readonly #registry: TopicRegistry;
  readonly #members = new Set<GroupMember>();
  readonly #tails = new Set<TailReader>();
  readonly #pending = new Set<Promise<unknown>>();
  #listener: WakeListener | undefined;
  #schema: Promise<void> | undefined;
  #cleanupTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #publishClosed = false;
  #closed: Promise<void> | undefined;

  constructor(o: ResolvedPostgresBrokerOptions) {
    this.#o = o;
    if (o.sql) {
      this.#sql = o.sql;
    } else {
      this.#pool = new pg.Pool({
        connectionString: o.url,
        max: o.poolSize,
        application_name: o.applicationName,
        keepAlive: true,
        connectionTimeoutMillis: 10_000,
        // A query stuck on a half-open socket fails and its connection is discarded.
        query_timeout: 30_000,
      });
      // An idle connection dropped by the server (restart, terminate) must not crash the process.
      this.#pool.on('error', () => {});
      this.#sql = createPgClient({ pool: this.#pool as unknown as PgPoolLike });
    }
    this.#registry = new TopicRegistry(this.#sql, o.schema, o.partitions);
    if (o.cleanupIntervalMs > 0) {
      this.#cleanupTimer = setInterval(() => {
        this.cleanup().catch((err) => this.#o.onError(err));
      }, o.cleanupIntervalMs);
      this.#cleanupTimer.unref();
    }
  }

  publish(messages: readonly OutgoingMessage[]): Promise<PublishResult[]> {
    if (this.#publishClosed) {
      return Promise.resolve(messages.map(() => ({ ok: false, error: PostgresBusErrors.PGBUS_CLOSED() })));
    }
    const work = this.#publish(messages);
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
    return work;
  }

  async #publish(messages: readonly OutgoingMessage[]): Promise<PublishResult[]> {
    const { prepared, results } = prepareBatch(messages);
    if (prepared.length > 0) {
      try {
        await this.#ready();
        await this.#registry.ensure(prepared.map((m) => m.topic));
        for (const m of prepared)
          m.partition = partitionFor(m.key, this.#registry.partitionsOf(m.topic) ?? 1);
        const channel = this.#o.notify ? this.#o.schema : undefined;
        // One statement, its own transaction: no BEGIN/COMMIT round trips.
        await writeMessages(this.#sql, this.#o.schema, prepared, channel);
        for (const m of prepared) results[m.index] = { ok: true };
        this.#wake([...new Set(prepared.map((m) => m.topic))]);
      } catch (err) {
        // Whatever went wrong (schema check, connection, lock timeout), nothing was written and a
        // retry may succeed: the relay must back off, not park the event.
        const error = PostgresBusErrors.PGBUS_PUBLISH_FAILED({ cause: err });
        for (const m of prepared) results[m.index] = { ok: false, error };
      }
    }
    return results as PublishResult[];
  }

  async subscribe(
    topics: readonly string[],
    options: SubscribeOptions,
    handler: DeliveryHandler,
  ): Promise<Subscription> {
    if (this.#closing) throw PostgresBusErrors.PGBUS_CLOSED();
    const unique = validateSubscription(topics, options, handler);
    await this.#ready();
    await this.#registry.ensure(unique);
    const member = new GroupMember({
      sql: this.#sql,
      schema: this.#o.schema,
      registry: this.#registry,
      group: options.group,
      topics: unique,
      startFrom: options.startFrom ?? 'earliest',
      maxInFlight: options.maxInFlight ?? this.#o.maxInFlight,
      batchSize: this.#o.batchSize,
      leaseMs: this.#o.leaseMs,
      pollIntervalMs: this.#o.pollIntervalMs,
      retryDelayMs: this.#o.retryDelayMs,
      handler,
      onError: this.#o.onError,
    });
    this.#members.add(member);
    this.#startListener();
    try {
      await member.start();
    } catch (err) {
      this.#members.delete(member);
      await member.close().catch(() => {});
      throw err;
    }
    return {
      close: async () => {
        await member.close();
        this.#members.delete(member);
      },
    };
  }

  /**
   * Reads the bus log from its current end, remembering offsets in memory only: writes nothing
   * (not even the schema or the topic), so closing it leaves nothing behind.
   */
  async tail(topics: readonly string[], handler: TailHandler): Promise<Subscription> {
    if (this.#closing) throw PostgresBusErrors.PGBUS_CLOSED();
    const unique = validateSubscription(topics, { group: 'tail' }, handler as DeliveryHandler);
    const reader = new TailReader({
      sql: this.#sql,
      schema: this.#o.schema,
      topics: unique,
      handler,
      pollIntervalMs: this.#o.pollIntervalMs,
      batchSize: this.#o.batchSize,
      onError: this.#o.onError,
    });
    await reader.start();
    this.#tails.add(reader);
    this.#startListener();
    return {
      close: async () => {
        this.#tails.delete(reader);
        await reader.stop();
      },
    };
  }

  async ping(): Promise<void> {
    try {
      await this.#sql.query('select 1');
    } catch (err) {
      throw PostgresBusErrors.PGBUS_UNAVAILABLE({ cause: err });
    }
  }

  async cleanup(): Promise<number> {
    await this.#ready();
    return deleteExpired(this.#sql, this.#o.schema, this.#o.retentionMs, this.#o.maxRetentionMs);
  }

  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#cleanupTimer);
    // Handlers settling now may still publish follow-up events: publishing closes after them.
    await Promise.all([...this.#members].map((m) => m.close()));
    this.#members.clear();
    await Promise.all([...this.#tails].map((t) => t.stop()));
    this.#tails.clear();
    this.#publishClosed = true;
    await Promise.allSettled([...this.#pending]);
    await this.#listener?.stop();
    if (this.#pool) await this.#pool.end().catch(() => {});
  }

  async destroy(): Promise<void> {
    this.#closing = true;
    this.#publishClosed = true;
    clearInterval(this.#cleanupTimer);
    for (const m of this.#members) m.destroy();
    this.#members.clear();
    for (const t of this.#tails) void t.stop();
    this.#tails.clear();
    await this.#listener?.stop();
    if (this.#pool) await this.#pool.end().catch(() => {});
    this.#closed ??= Promise.resolve();
  }

  #ready(): Promise<void> {
    if (!this.#o.autoMigrate) return Promise.resolve();
    this.#schema ??= ensureSchema(this.#sql, this.#o.schema).catch((err) => {
      this.#schema = undefined; // retry on the next call instead of failing forever
      throw err;
    });
    return this.#schema;
  }

  #startListener(): void {
    if (this.#listener || !this.#o.listen) return;
    this.#listener = new WakeListener({
      url: this.#o.listen,
      channel: this.#o.schema,
      applicationName: `${this.#o.applicationName}-listen`,
      onWake: (topics) => this.#wake(topics),
      onError: this.#o.onError,
    });
    this.#listener.start();
  }

  #wake(topics: readonly string[] | '*'): void {
    for (const m of this.#members) m.wake(topics);
    for (const t of this.#tails) t.wake(topics);
  }
}

function validateSubscription(
  topics: readonly string[],
  options: SubscribeOptions,
  handler: DeliveryHandler,
): string[] {
  const bad = (reason: string) => PostgresBusErrors.PGBUS_SUBSCRIBE_INVALID({ params: { reason } });
  if (!Array.isArray(topics) || topics.length === 0) throw bad('give at least one topic');
  for (const t of topics) {
    if (typeof t !== 'string' || !TOPIC_PATTERN.test(t))
      throw bad(`topic ${String(t)} is not 1–200 characters without whitespace`);
  }
  if (typeof options?.group !== 'string' || options.group.length === 0 || options.group.length > 200) {
    throw bad('group must be a non-empty string of at most 200 characters');
  }
  const max = options.maxInFlight;
  if (max !== undefined && (!Number.isInteger(max) || max < 1))
    throw bad('maxInFlight must be an integer ≥ 1');
  if (options.startFrom !== undefined && options.startFrom !== 'earliest' && options.startFrom !== 'latest') {
    throw bad("startFrom must be 'earliest' or 'latest'");
  }
  if (typeof handler !== 'function') throw bad('handler must be a function');
  return [...new Set(topics)];
}
