import type { SqlClient, SqlTransaction } from '@outrig/db';
import type { CloudEvent } from '@outrig/messaging';
import { SagaErrors } from '../errors.ts';
import { generationTable, type ProjectionDefinition } from './define-projection.ts';
import { guardProjectionTx } from './projection-guard.ts';

/** What {@link createProjectionRunner} takes. */
export interface ProjectionRunnerOptions {
  readonly sql: SqlClient;
  readonly projection: ProjectionDefinition;
  /** Schema of the postgres transport (`@outrig/messaging-postgres`). Default `outrig_bus`. */
  readonly busSchema?: string;
  /** Events per transaction. Default 200. */
  readonly batchSize?: number;
  /** Poll interval of the live loop when caught up. Default 200 ms. */
  readonly pollMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** How far behind the log the live generation is. */
export interface ProjectionLag {
  readonly generation: number;
  /** Events in the log not yet applied. */
  readonly events: number;
  /** Age of the oldest event not yet applied (0 when caught up). */
  readonly seconds: number;
}

/** Runs one projection: the live loop, catch-up, rebuild and lag. */
export interface ProjectionRunner {
  /** Creates generation 1 and the view the first time; idempotent. */
  ensure(): Promise<void>;
  /** Applies every event available now to the live generation; resolves how many. */
  catchUp(): Promise<number>;
  /** Starts the live loop (catch up, then poll). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Rebuilds from the first retained event into a new generation beside the live one, then
   * swaps the view to it in one transaction and drops the old table. No side effects happen
   * during the replay (the handler's transaction refuses them).
   * @throws `PROJECTION_REBUILD_RUNNING` when another rebuild of this projection is running.
   */
  rebuild(): Promise<{ generation: number; events: number }>;
  lag(): Promise<ProjectionLag>;
}

/**
 * Creates the runner of a projection over the postgres transport's log. Offsets of a partition
 * become visible strictly in order (the transport assigns them under the partition's head lock,
 * held to commit), so a checkpoint per partition never passes an event of a transaction still in
 * flight. Several runners of one projection may run: the checkpoint rows are locked per batch.
 *
 * @example
 * const runner = createProjectionRunner({ sql, projection: OrderSummary });
 * await runner.start();
 * // readers: SELECT * FROM order_summary
 */
export function createProjectionRunner(options: ProjectionRunnerOptions): ProjectionRunner {
  const { sql, projection: p, onError } = options;
  const bus = `"${options.busSchema ?? 'outrig_bus'}"`;
  const batchSize = options.batchSize ?? 200;
  const pollMs = options.pollMs ?? 200;
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const lockName = (what: string) => `outrig-projection:${what}:${p.name}`;

  const ensure = async () => {
    await sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockName('ddl')]);
      const found = await tx.query('SELECT to_regclass($1) AS t', [
        `${options.busSchema ?? 'outrig_bus'}.log`,
      ]);
      if ((found.rows[0] as { t: string | null }).t === null) {
        throw SagaErrors.PROJECTION_SOURCE_MISSING({
          params: { projection: p.name, schema: options.busSchema ?? 'outrig_bus' },
        });
      }
      const state = await tx.query('SELECT 1 FROM projection_state WHERE name = $1', [p.name]);
      if (state.rowCount > 0) return;
      await tx.query(p.table(generationTable(p.name, 1)));
      await tx.query(`CREATE VIEW ${p.name} AS SELECT * FROM ${generationTable(p.name, 1)}`);
      await tx.query('INSERT INTO projection_state (name, live_generation) VALUES ($1, 1)', [p.name]);
    });
  };

  /**
   * One batch of generation `gen` in one transaction: the projection's state row is share-locked
   * (a swap waits for running batches), the checkpoints are locked (one runner per partition at
   * a time), events are applied, checkpoints advance. Resolves the events applied, or -1 when
   * `gen` is no longer the generation this caller builds.
   */
  const batch = async (gen: number, replaying: boolean, tx?: SqlTransaction): Promise<number> => {
    const run = async (t: SqlTransaction) => {
      const state = await t.query<{ live: number; rebuilding: number | null }>(
        'SELECT live_generation AS live, rebuilding_generation AS rebuilding FROM projection_state WHERE name = $1 FOR SHARE',
        [p.name],
      );
      const s = state.rows[0];
      if (!s || (replaying ? s.rebuilding !== gen : s.live !== gen)) return -1;
      await t.query(
        `INSERT INTO projection_checkpoint (name, generation, topic, partition, "offset")
         SELECT $1, $2, t.topic, g.p, 0 FROM ${bus}.topics t, generate_series(0, t.partitions - 1) AS g(p)
         WHERE t.topic = ANY($3::text[])
         ON CONFLICT DO NOTHING`,
        [p.name, gen, p.topics],
      );
      const checkpoints = await t.query<{ topic: string; partition: number; offset: string }>(
        `SELECT topic, partition, "offset" FROM projection_checkpoint WHERE name = $1 AND generation = $2
         ORDER BY topic, partition FOR UPDATE`,
        [p.name, gen],
      );
      const events = await t.query<{ topic: string; partition: number; offset: string; event: CloudEvent }>(
        `SELECT l.topic, l.partition, l."offset", l.event
         FROM unnest($1::text[], $2::int[], $3::bigint[]) AS c(topic, partition, pos)
         CROSS JOIN LATERAL (
           SELECT topic, partition, "offset", event FROM ${bus}.log
           WHERE topic = c.topic AND partition = c.partition AND "offset" > c.pos
           ORDER BY "offset" LIMIT $4
         ) l
         ORDER BY l.topic, l.partition, l."offset"`,
        [
          checkpoints.rows.map((c) => c.topic),
          checkpoints.rows.map((c) => c.partition),
          checkpoints.rows.map((c) => c.offset),
          batchSize,
        ],
      );
      if (events.rowCount === 0) return 0;
      const table = generationTable(p.name, gen);
      const guarded = guardProjectionTx(t, p.name);
      const last = new Map<string, { topic: string; partition: number; offset: number }>();
      for (const row of events.rows) {
        const position = { topic: row.topic, partition: row.partition, offset: Number(row.offset) };
        const event = typeof row.event === 'string' ? (JSON.parse(row.event) as CloudEvent) : row.event;
        await p.handle(event, { tx: guarded, table, replaying, position });
        last.set(`${row.topic}\u0000${row.partition}`, position);
      }
      const moved = [...last.values()];
      await t.query(
        `UPDATE projection_checkpoint c SET "offset" = m.pos, updated_at = clock_timestamp()
         FROM unnest($3::text[], $4::int[], $5::bigint[]) AS m(topic, partition, pos)
         WHERE c.name = $1 AND c.generation = $2 AND c.topic = m.topic AND c.partition = m.partition`,
        [p.name, gen, moved.map((m) => m.topic), moved.map((m) => m.partition), moved.map((m) => m.offset)],
      );
      return events.rowCount;
    };
    return tx ? run(tx) : sql.transaction(run);
  };

  const liveGeneration = async () => {
    const r = await sql.query<{ live: number }>(
      'SELECT live_generation AS live FROM projection_state WHERE name = $1',
      [p.name],
    );
    return r.rows[0]?.live ?? 1;
  };

  const catchUp = async () => {
    let total = 0;
    for (;;) {
      const n = await batch(await liveGeneration(), false);
      if (n === -1) continue; // swapped meanwhile: go on with the new live generation
      total += n;
      if (n === 0) return total;
    }
  };

  return {
    ensure,
    catchUp,
    async start() {
      if (running) return;
      await ensure();
      running = true;
      loop = (async () => {
        while (running) {
          let n = 0;
          try {
            n = await catchUp();
          } catch (error) {
            onError?.(error);
          }
          if (!running || n > 0) continue;
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, pollMs);
            wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
          wake = undefined;
        }
      })();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
    async rebuild() {
      await ensure();
      // The rebuild lock lives as long as this (idle, snapshot-free) transaction: a crashed
      // rebuild releases it with its connection.
      return sql.transaction(async (lockTx) => {
        const got = await lockTx.query<{ ok: boolean }>(
          'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok',
          [lockName('rebuild')],
        );
        if (!got.rows[0]?.ok) throw SagaErrors.PROJECTION_REBUILD_RUNNING({ params: { projection: p.name } });
        const gen = await sql.transaction(async (tx) => {
          const r = await tx.query<{ live: number }>(
            'SELECT live_generation AS live FROM projection_state WHERE name = $1 FOR UPDATE',
            [p.name],
          );
          const next = (r.rows[0]?.live ?? 1) + 1;
          const table = generationTable(p.name, next);
          // Leftovers of a rebuild that crashed: start over.
          await tx.query(`DROP TABLE IF EXISTS ${table}`);
          await tx.query('DELETE FROM projection_checkpoint WHERE name = $1 AND generation = $2', [
            p.name,
            next,
          ]);
          await tx.query(p.table(table));
          await tx.query(
            'UPDATE projection_state SET rebuilding_generation = $2, rebuild_started_at = clock_timestamp() WHERE name = $1',
            [p.name, next],
          );
          return next;
        });
        let events = 0;
        for (;;) {
          const n = await batch(gen, true);
          if (n <= 0) break;
          events += n;
        }
        // The swap: running live batches finish first (they share-lock the state row); what
        // arrived meanwhile is applied in this transaction; the view moves; the old table goes.
        await sql.transaction(async (tx) => {
          const r = await tx.query<{ live: number }>(
            'SELECT live_generation AS live FROM projection_state WHERE name = $1 FOR UPDATE',
            [p.name],
          );
          const old = r.rows[0]?.live ?? 1;
          for (;;) {
            const n = await batch(gen, true, tx);
            if (n <= 0) break;
            events += n;
          }
          await tx.query(`DROP VIEW IF EXISTS ${p.name}`);
          await tx.query(`CREATE VIEW ${p.name} AS SELECT * FROM ${generationTable(p.name, gen)}`);
          await tx.query(
            `UPDATE projection_state SET live_generation = $2, rebuilding_generation = NULL, swapped_at = clock_timestamp()
             WHERE name = $1`,
            [p.name, gen],
          );
          await tx.query(`DROP TABLE IF EXISTS ${generationTable(p.name, old)}`);
          await tx.query('DELETE FROM projection_checkpoint WHERE name = $1 AND generation = $2', [
            p.name,
            old,
          ]);
        });
        return { generation: gen, events };
      });
    },
    async lag() {
      const gen = await liveGeneration();
      const r = await sql.query<{ events: string | null; seconds: number | null }>(
        `SELECT sum(greatest(h.next_offset - 1 - coalesce(c."offset", 0), 0)) AS events,
                max(extract(epoch FROM clock_timestamp() - l.published_at))::float8 AS seconds
         FROM ${bus}.heads h
         LEFT JOIN projection_checkpoint c
           ON c.name = $1 AND c.generation = $2 AND c.topic = h.topic AND c.partition = h.partition
         LEFT JOIN LATERAL (
           SELECT published_at FROM ${bus}.log
           WHERE topic = h.topic AND partition = h.partition AND "offset" > coalesce(c."offset", 0)
           ORDER BY "offset" LIMIT 1
         ) l ON true
         WHERE h.topic = ANY($3::text[])`,
        [p.name, gen, p.topics],
      );
      return {
        generation: gen,
        events: Number(r.rows[0]?.events ?? 0),
        seconds: Math.max(0, r.rows[0]?.seconds ?? 0),
      };
    },
  };
}
