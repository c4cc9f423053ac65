import { performance } from 'node:perf_hooks';
import {
  createPgClient,
  type PgPoolClientLike,
  type PgPoolLike,
  type PgRawResult,
  type SqlClient,
} from '@outrig/db';
import pg from 'pg';

/** Statements of one kind: how many, and their client-side round-trip time. */
export interface StatementCount {
  label: string;
  count: number;
  totalMs: number;
  maxMs: number;
}

/** Sees each statement's text and parameters (e.g. to EXPLAIN one later). */
export type StatementCapture = (label: string, text: string, params: readonly unknown[] | undefined) => void;

/** A SqlClient whose every statement (BEGIN and COMMIT included) is counted and timed. */
export interface CountingClient {
  readonly sql: SqlClient;
  /** Counts by statement label, most frequent first. */
  counts(): StatementCount[];
  /** Forgets the counts so far (start of a measured window). */
  reset(): void;
}

/**
 * Builds a `pg` pool whose statements are counted, wrapped by `createPgClient`, so the outbox,
 * relay, consumer and Postgres transport run their own SQL unchanged while we see how many round
 * trips each does (pg_stat_statements is not preloaded on the test server). The label is the
 * statement's first significant words, so `WITH … INSERT INTO outbox` and `WITH … UPDATE outbox`
 * stay apart.
 *
 * @example
 * const c = countingClient(url, 8);
 * await c.sql.query('select 1');
 * console.table(c.counts());
 */
export function countingClient(
  url: string,
  max: number,
  applicationName = 'outrig-bench',
  capture?: StatementCapture,
): CountingClient {
  // idleTimeoutMillis 0: keep connections for the whole run (a closed backend's CPU time is lost).
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: applicationName,
    idleTimeoutMillis: 0,
    // As the pools Outrig builds (connectDatabase, createPgClient): a transaction's first
    // statement travels with its BEGIN.
    pipeline: true,
  });
  pool.on('error', () => {}); // an idle connection dropped at teardown must not crash the bench
  const stats = new Map<string, StatementCount>();
  const timed = async (
    run: () => Promise<unknown>,
    text: string,
    params: unknown[] | undefined,
  ): Promise<PgRawResult> => {
    const label = labelOf(text);
    capture?.(label, text, params);
    const started = performance.now();
    try {
      return (await run()) as PgRawResult;
    } finally {
      const ms = performance.now() - started;
      const s = stats.get(label) ?? { label, count: 0, totalMs: 0, maxMs: 0 };
      s.count++;
      s.totalMs += ms;
      s.maxMs = Math.max(s.maxMs, ms);
      stats.set(label, s);
    }
  };
  // The adapter passes node-postgres' config form ({ name, text, values }) for prepared statements.
  type Call = string | { name: string; text: string; values?: unknown[] };
  const textOf = (q: Call) => (typeof q === 'string' ? q : q.text);
  const paramsOf = (q: Call, params?: unknown[]) => (typeof q === 'string' ? params : q.values);
  const counted: PgPoolLike = {
    query: (q: Call, params?: unknown[]) =>
      timed(() => pool.query(q as string, params), textOf(q), paramsOf(q, params)),
    async connect(): Promise<PgPoolClientLike> {
      const client = await pool.connect();
      return {
        query: (q: Call, params?: unknown[]) =>
          timed(() => client.query(q as string, params), textOf(q), paramsOf(q, params)),
        release: (err) => client.release(err),
        pipeline: client.pipeline,
      };
    },
    end: () => pool.end(),
  };
  const sql = createPgClient({ pool: counted });
  return {
    sql: { query: sql.query, transaction: sql.transaction, close: () => pool.end() },
    counts: () => [...stats.values()].sort((a, b) => b.count - a.count),
    reset: () => stats.clear(),
  };
}

// Outrig's own statements, named after what they do (checked first; tied to the SQL text of
// @outrig/messaging and @outrig/messaging-postgres, falling back to a generic label if it changes).
const KNOWN: readonly (readonly [RegExp, string])[] = [
  [/INSERT INTO outbox_aggregate AS a \(aggregate_type, aggregate_id, version\)\s+SELECT/, 'outbox write'],
  [/claimed AS \(/, 'relay fetch+claim'],
  [/cand AS MATERIALIZED/, 'relay fetch'],
  [/SELECT pg_notify\('outrig_outbox'/, 'outbox notify (after commit)'],
  [/attempts exhausted without an outcome/, 'relay claim'],
  [/r AS \(SELECT \* FROM unnest\(\$7::uuid\[\]/, 'relay mark'],
  [/INSERT INTO inbox/, 'inbox insert'],
  [/from \S+\.heads\s+where \(topic, partition\) in/, 'bus publish: lock heads'],
  [/insert into \S+\.log/, 'bus publish (heads + log + notify)'],
  [/set committed = greatest/, 'bus consume: commit offsets'],
  [/lateral|LATERAL/, 'bus consume: fetch'],
];

const SKIP = new Set(['with', 'as', 'materialized', 'select', 'from', 'where']);

/** A short name for a statement: `BEGIN`, `relay fetch`, `INSERT ledger`, `WITH … UPDATE outbox` … */
export function labelOf(text: string): string {
  for (const [pattern, name] of KNOWN) if (pattern.test(text)) return name;
  const flat = text.replace(/\s+/g, ' ').replaceAll('"', '').trim();
  const verb = /^\w+/.exec(flat)?.[0]?.toUpperCase() ?? '?';
  if (verb !== 'WITH' && verb !== 'SELECT') {
    const target = /^(?:insert into|update|delete from)\s+([\w.]+)/i.exec(flat)?.[1];
    return target ? `${verb} ${target}` : flat.slice(0, 40);
  }
  // A CTE statement: name it after its first data-changing verb and table, or the first table read.
  const change = /\b(insert into|update|delete from)\s+([\w.]+)/i.exec(flat);
  if (change) return `${verb} … ${change[1]!.split(' ')[0]!.toUpperCase()} ${change[2]}`;
  const from = /\bfrom\s+([\w.]+)/i.exec(flat)?.[1];
  if (from && !SKIP.has(from.toLowerCase())) return `${verb} … FROM ${from}`;
  return flat.slice(0, 40);
}
