import pg from 'pg';

/** A live LISTEN; `close()` ends it. */
export interface OutboxListener {
  close(): Promise<void>;
}

/**
 * Subscribes `onNotify` to a NOTIFY channel. Implementations must keep retrying on their own
 * after a connection loss and call `onNotify` after reconnecting (anything may have been missed).
 */
export type OutboxListen = (channel: string, onNotify: () => void) => Promise<OutboxListener>;

/** Options of {@link pgListen}. */
export interface PgListenOptions {
  /** Called with connection errors (they are survived). */
  readonly onError?: (error: unknown) => void;
  /** Longest wait between reconnect attempts. Default 30 000 ms (starts at 250 ms, doubles). */
  readonly maxReconnectDelayMs?: number;
}

/**
 * LISTEN on a dedicated `pg` connection (LISTEN needs a session: never through a transaction
 * pooler), reconnecting with backoff when the connection drops. NOTIFY is only a hint: the relay
 * keeps polling, so a lost notification only costs latency.
 *
 * @example
 * const relay = createOutboxRelay({ sql, broker, listen: pgListen(databaseUrl) });
 */
export function pgListen(url: string, options: PgListenOptions = {}): OutboxListen {
  const maxDelay = options.maxReconnectDelayMs ?? 30_000;
  const onError = options.onError ?? (() => {});
  return async (channel, onNotify) => {
    let closed = false;
    let client: pg.Client | undefined;
    let timer: NodeJS.Timeout | undefined;
    let delay = 250;

    const schedule = () => {
      if (closed || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void connect();
      }, delay);
      timer.unref();
      delay = Math.min(delay * 2, maxDelay);
    };
    const drop = (c: pg.Client) => {
      if (client !== c) return;
      client = undefined;
      c.end().catch(() => {});
      schedule();
    };
    const connect = async () => {
      if (closed) return;
      const c = new pg.Client({
        connectionString: url,
        keepAlive: true,
        application_name: 'outrig-relay-listen',
      });
      client = c;
      c.on('error', (err) => {
        onError(err);
        drop(c);
      });
      c.on('end', () => drop(c));
      c.on('notification', (message) => {
        if (message.channel === channel) onNotify();
      });
      try {
        await c.connect();
        await c.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
        delay = 250;
        // Commits made while we were not listening sent nothing we could hear.
        onNotify();
      } catch (err) {
        onError(err);
        drop(c);
      }
    };

    await connect();
    return {
      async close() {
        closed = true;
        if (timer) clearTimeout(timer);
        const c = client;
        client = undefined;
        if (c) await c.end().catch(() => {});
      },
    };
  };
}
