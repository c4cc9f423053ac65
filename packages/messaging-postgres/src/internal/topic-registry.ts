import type { SqlQueryable } from '@outrig/db';

/**
 * Knows each topic's partition count. A topic is created on first use (publish or subscribe)
 * with this broker's `partitions`; afterwards the stored count wins, so every process maps a
 * key to the same partition even if their options differ. Counts never change, so they are
 * cached for the life of the broker.
 */
export class TopicRegistry {
  readonly #sql: SqlQueryable;
  readonly #schema: string;
  readonly #partitions: number;
  readonly #known = new Map<string, number>();

  constructor(sql: SqlQueryable, schema: string, partitions: number) {
    this.#sql = sql;
    this.#schema = schema;
    this.#partitions = partitions;
  }

  /** The partition count of a topic already ensured, or undefined. */
  partitionsOf(topic: string): number | undefined {
    return this.#known.get(topic);
  }

  /** Creates missing topics (and their head rows) and caches every topic's partition count. */
  async ensure(topics: Iterable<string>): Promise<void> {
    const missing = [...new Set(topics)].filter((t) => !this.#known.has(t));
    if (missing.length === 0) return;
    const s = `"${this.#schema}"`;
    // Separate idempotent statements: a process that died between them left nothing to repair.
    await this.#sql.query(
      `insert into ${s}.topics (topic, partitions) select unnest($1::text[]), $2 on conflict do nothing`,
      [missing, this.#partitions],
    );
    await this.#sql.query(
      `insert into ${s}.heads (topic, partition)
       select t.topic, g from ${s}.topics t, generate_series(0, t.partitions - 1) g
       where t.topic = any($1::text[]) on conflict do nothing`,
      [missing],
    );
    const rows = await this.#sql.query<{ topic: string; partitions: number }>(
      `select topic, partitions from ${s}.topics where topic = any($1::text[])`,
      [missing],
    );
    for (const row of rows.rows) this.#known.set(row.topic, row.partitions);
  }
}
