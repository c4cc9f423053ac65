import { type ChannelModel, connect } from 'amqplib';
import { RabbitMqErrors } from '../errors.ts';
import type { ResolvedRabbitMqBrokerOptions } from '../rabbitmq-broker-options.ts';

/** Seconds between AMQP heartbeats when the URL does not set `heartbeat`: a dead peer shows within ~2×. */
const DEFAULT_HEARTBEAT_S = 5;

/**
 * The broker's one AMQP connection, kept alive: when the server closes it or the socket drops,
 * it reconnects with backoff and tells every listener, which re-declares its topology and
 * re-opens its consumers (topology recovery). A connection closed by our own code (or by
 * `connection.close()` from outside, as tests do to simulate a crash) is final.
 */
export class AmqpSession {
  readonly #o: ResolvedRabbitMqBrokerOptions;
  readonly #listeners = new Set<(connection: ChannelModel) => void>();
  #connection: ChannelModel | undefined;
  #waiters: { resolve: (c: ChannelModel) => void; reject: (e: Error) => void }[] = [];
  #dead = false;
  readonly #deadSignal: Promise<void>;
  #markDead!: () => void;

  private constructor(o: ResolvedRabbitMqBrokerOptions) {
    this.#o = o;
    this.#deadSignal = new Promise((resolve) => {
      this.#markDead = resolve;
    });
  }

  /** Connects once (rejecting with `RABBITMQ_CONNECT_FAILED`), then keeps the connection alive. */
  static async open(o: ResolvedRabbitMqBrokerOptions): Promise<AmqpSession> {
    const session = new AmqpSession(o);
    try {
      session.#adopt(await session.#connect());
    } catch (cause) {
      throw RabbitMqErrors.RABBITMQ_CONNECT_FAILED({ params: { url: redact(o.url) }, cause });
    }
    return session;
  }

  /** The live connection, or undefined while reconnecting or after the end. */
  get connection(): ChannelModel | undefined {
    return this.#connection;
  }

  /** True once the session ended (closed by us or from outside); it never reconnects then. */
  get dead(): boolean {
    return this.#dead;
  }

  /** Resolves when the session ends. */
  whenDead(): Promise<void> {
    return this.#deadSignal;
  }

  /** A live connection: now, or after the reconnect under way; rejects once the session ended. */
  ready(): Promise<ChannelModel> {
    if (this.#connection) return Promise.resolve(this.#connection);
    if (this.#dead) return Promise.reject(RabbitMqErrors.RABBITMQ_BROKER_CLOSED());
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Calls `listener` after every reconnect (not the first connect). Returns the unsubscribe. */
  onReconnect(listener: (connection: ChannelModel) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Ends the session: closes the connection (bounded), never reconnects. */
  async close(): Promise<void> {
    const connection = this.#connection;
    this.#end();
    if (!connection) return;
    await withTimeout(connection.close(), this.#o.requestTimeoutMs).catch(() => {
      (connection.connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
    });
  }

  #end(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#connection = undefined;
    for (const w of this.#waiters.splice(0)) w.reject(RabbitMqErrors.RABBITMQ_BROKER_CLOSED());
    this.#markDead();
  }

  /**
   * Opens a connection, bounded as a whole: amqplib's `timeout` covers the TCP connect only, and
   * a node that is shutting down or still booting can accept the socket and never finish the
   * handshake. A connection that completes after the deadline is closed at once.
   */
  #connect(): Promise<ChannelModel> {
    const opening = this.#open();
    return withTimeout(opening, this.#o.connectTimeoutMs, 'the AMQP handshake').catch((error: unknown) => {
      void opening.then((late) => late.close().catch(() => {})).catch(() => {});
      throw error;
    });
  }

  #open(): Promise<ChannelModel> {
    const url = new URL(this.#o.url);
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(DEFAULT_HEARTBEAT_S));
    return connect(url.toString(), {
      timeout: this.#o.requestTimeoutMs,
      clientProperties: { connection_name: 'outrig' },
    });
  }

  #adopt(connection: ChannelModel): void {
    this.#connection = connection;
    // An 'error' is always followed by 'close'; without a listener it would crash the process.
    connection.on('error', () => {});
    connection.on('close', (error?: Error) => {
      if (this.#connection !== connection) return;
      this.#connection = undefined;
      // No error: closed by code (ours, or a test simulating a crash) — final. With an error:
      // the server went away or closed us (restart, CONNECTION_FORCED) — reconnect.
      if (this.#dead || !error) this.#end();
      else void this.#reconnect();
    });
    for (const w of this.#waiters.splice(0)) w.resolve(connection);
  }

  async #reconnect(): Promise<void> {
    let delay = this.#o.reconnectDelayMs;
    while (!this.#dead) {
      await sleep(delay);
      if (this.#dead) return;
      try {
        const connection = await this.#connect();
        if (this.#dead) {
          await connection.close().catch(() => {});
          return;
        }
        this.#adopt(connection);
        for (const listener of this.#listeners) {
          try {
            listener(connection);
          } catch (error) {
            this.#o.onError(error as Error);
          }
        }
        return;
      } catch {
        delay = Math.min(delay * 2, this.#o.maxReconnectDelayMs);
      }
    }
  }
}

/** Resolves like `work`, or rejects after `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what = 'RabbitMQ'): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** URLs carry passwords: never put them in an error message. */
export function redact(url: string): string {
  return url.replace(/\/\/([^/@]*)@/, '//***@');
}
