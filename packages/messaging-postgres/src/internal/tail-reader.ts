import type { SqlQueryable } from '@outrig/db';
import type { CloudEvent, TailHandler, TraceCarrier } from '@outrig/messaging';

export interface TailReaderOptions {
  readonly sql: SqlQueryable;
  readonly schema: string;
  readonly topics: readonly string[];
  readonly handler: TailHandler;
  /** How often to look for new rows when no NOTIFY wakes the reader. */
  readonly pollIntervalMs: number;
  readonly batchSize: number;
  readonly onError: (error: Error) => void;
}

/** PostgreSQL: relation does not exist (the bus schema was never created). */
const UNDEFINED_TABLE = '42P01';

/**
 * A non-durable reader of the bus log (`Broker.tail`): it remembers, in memory only, the last
 * offset it saw per partition, starting at each partition's head when it starts. It writes
 * nothing — no group, member, offset, topic or schema — so stopping it leaves no trace. A topic
 * that does not exist yet is looked for on every poll; everything in it once it appears is new.
 * Offsets of a partition are taken under its head's row lock and committed with the rows, so
 * reading `offset > last` never skips a row that commits later.
 */
export class TailReader {
  readonly #o: TailReaderOptions;
  readonly #s: string;
  /** Last offset seen, by `partition:topic`; only topics that exist. */
  readonly #after = new Map<string, { topic: string; partition: number; after: number }>();
  readonly #found = new Set<string>();
  #stopped = false;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: TailReaderOptions) {
    this.#o = options;
    this.#s = `"${options.schema}"`;
  }

  /** Records where each partition's log ends now (the tail starts after it), then reads on. */
  async start(): Promise<void> {
    await this.#discover(true);
    this.#loop = this.#run();
  }

  /** A NOTIFY said these topics got rows: read now instead of at the next poll. */
  wake(topics: readonly string[] | '*'): void {
    if (topics === '*' || topics.some((t) => this.#o.topics.includes(t))) this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let full = false;
      try {
        if (this.#found.size < this.#o.topics.length) await this.#discover(false);
        full = await this.#read();
      } catch (err) {
        this.#o.onError(err as Error);
      }
      if (full || this.#stopped) continue;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, this.#o.pollIntervalMs);
      });
      clearTimeout(this.#timer);
      this.#wake = undefined;
    }
  }

  /** Adds the partitions of topics that exist now: at their head when starting, else from 0. */
  async #discover(atHead: boolean): Promise<void> {
    const missing = this.#o.topics.filter((t) => !this.#found.has(t));
    let rows: { topic: string; partition: number; next_offset: string }[];
    try {
      rows = (
        await this.#o.sql.query<{ topic: string; partition: number; next_offset: string }>(
          `select topic, partition, next_offset from ${this.#s}.heads where topic = any($1::text[])`,
          [missing],
        )
      ).rows;
    } catch (err) {
      if ((err as { code?: string }).code === UNDEFINED_TABLE) return; // no bus yet: nothing to see
      throw err;
    }
    for (const r of rows) {
      this.#found.add(r.topic);
      const after = atHead ? Number(r.next_offset) - 1 : 0;
      this.#after.set(`${r.partition}:${r.topic}`, { topic: r.topic, partition: r.partition, after });
    }
  }

  /** Hands every row after the remembered offsets to the handler; true when a batch was full. */
  async #read(): Promise<boolean> {
    const parts = [...this.#after.values()];
    if (parts.length === 0) return false;
    const res = await this.#o.sql.query<{
      topic: string;
      partition: number;
      offset: string;
      key: string;
      event: unknown;
      headers: unknown;
    }>(
      `select c.topic, c.partition, l."offset", l.key, l.event, l.headers
       from unnest($1::text[], $2::int[], $3::bigint[]) c(topic, partition, after)
       cross join lateral (
         select "offset", key, event, headers, published_at from ${this.#s}.log l
         where l.topic = c.topic and l.partition = c.partition and l."offset" > c.after
         order by l."offset" limit $4
       ) l
       order by l.published_at, c.partition, l."offset"`,
      [
        parts.map((p) => p.topic),
        parts.map((p) => p.partition),
        parts.map((p) => p.after),
        this.#o.batchSize,
      ],
    );
    const counts = new Map<string, number>();
    for (const r of res.rows) {
      if (this.#stopped) return false;
      const id = `${r.partition}:${r.topic}`;
      const part = this.#after.get(id);
      if (part) part.after = Number(r.offset);
      counts.set(id, (counts.get(id) ?? 0) + 1);
      const traceContext = r.headers ? (parseJson(r.headers) as TraceCarrier) : undefined;
      try {
        await this.#o.handler({
          topic: r.topic,
          key: r.key,
          event: parseJson(r.event) as CloudEvent,
          ...(traceContext && { traceContext }),
        });
      } catch (err) {
        this.#o.onError(err as Error);
      }
    }
    return [...counts.values()].some((n) => n >= this.#o.batchSize);
  }
}

/** node-postgres parses json(b); another driver behind SqlClient may hand back text. */
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}
