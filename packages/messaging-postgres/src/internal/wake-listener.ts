import pg from 'pg';

/** Called with the topics of a NOTIFY, or `'*'` when anything may have changed (reconnect). */
export type WakeHandler = (topics: readonly string[] | '*') => void;

export interface WakeListenerOptions {
  readonly url: string;
  readonly channel: string;
  readonly applicationName: string;
  readonly onWake: WakeHandler;
  readonly onError: (error: Error) => void;
}

const HEARTBEAT_MS = 5000;
const MAX_BACKOFF_MS = 5000;

/**
 * A dedicated LISTEN connection. NOTIFY is only a hint (no replay, lost while disconnected), so
 * this never carries data: it wakes subscriptions early, and every (re)connect wakes them all
 * because notifications may have been missed. A heartbeat query detects half-open sockets; on
 * any failure the connection is dropped and re-established with backoff, forever, until stopped.
 */
export class WakeListener {
  readonly #options: WakeListenerOptions;
  #client: pg.Client | undefined;
  #stopped = false;
  #backoffMs = 100;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #connected = false;

  constructor(options: WakeListenerOptions) {
    this.#options = options;
  }

  /** True while LISTEN is active. */
  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#heartbeatTimer);
    const client = this.#client;
    this.#client = undefined;
    this.#connected = false;
    if (client) await client.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const client = new pg.Client({
      connectionString: this.#options.url,
      application_name: this.#options.applicationName,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
    });
    this.#client = client;
    client.on('error', (err) => this.#drop(client, err));
    client.on('end', () => this.#drop(client, new Error('LISTEN connection ended')));
    client.on('notification', (msg) => {
      if (msg.channel !== this.#options.channel) return;
      const payload = msg.payload ?? '';
      this.#options.onWake(payload === '*' || payload === '' ? '*' : payload.split(' '));
    });
    try {
      await client.connect();
      await client.query(`listen "${this.#options.channel}"`);
    } catch (err) {
      this.#drop(client, err as Error);
      return;
    }
    if (this.#client !== client) return;
    this.#connected = true;
    this.#backoffMs = 100;
    this.#options.onWake('*');
    this.#scheduleHeartbeat(client);
  }

  #scheduleHeartbeat(client: pg.Client): void {
    this.#heartbeatTimer = setTimeout(async () => {
      if (this.#client !== client) return;
      const timeout = new Promise<never>((_, reject) => {
        setTimeout(() => reject(new Error('LISTEN heartbeat timed out')), HEARTBEAT_MS).unref();
      });
      try {
        await Promise.race([client.query('select 1'), timeout]);
        this.#scheduleHeartbeat(client);
      } catch (err) {
        this.#drop(client, err as Error);
      }
    }, HEARTBEAT_MS);
    this.#heartbeatTimer.unref();
  }

  #drop(client: pg.Client, err: Error): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#connected = false;
    clearTimeout(this.#heartbeatTimer);
    // end() on a dead socket may never resolve; destroy the stream so nothing lingers.
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    client.end().catch(() => {});
    if (this.#stopped) return;
    this.#options.onError(err);
    const delay = this.#backoffMs * (0.8 + Math.random() * 0.4);
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    this.#reconnectTimer = setTimeout(() => void this.#connect(), delay);
    this.#reconnectTimer.unref();
  }
}
