import { createEvent } from '@outrig/messaging';
import pg from 'pg';
import { AccountChanged, aggregateOf, INSERT_STATE, nowMs, resetProducerDb } from './bench-schema.ts';
import { countingClient } from './counting-pool.ts';
import { coalescingNotifier, type ProducerVariant, type VariantContext } from './producer-overhead.ts';

/** Server-side cost of one statement, from EXPLAIN ANALYZE. */
export interface ExplainFigures {
  planningMs: number;
  executionMs: number;
  /** Time spent in triggers (the statement-level NOTIFY trigger, for the outbox write). */
  triggerMs: number;
}

/**
 * EXPLAIN (ANALYZE) of a captured statement, `runs` times inside a rolled-back transaction each
 * (so nothing is left behind), median of each figure. Planning time shows what a prepared
 * statement would save: node-postgres plans every parameterised statement anew unless named.
 */
export async function explainStatement(
  url: string,
  text: string,
  params: readonly unknown[],
  runs = 20,
): Promise<ExplainFigures> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const planning: number[] = [];
  const execution: number[] = [];
  const trigger: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      await client.query('BEGIN');
      try {
        const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, [...params]);
        const plan = (rows[0] as { 'QUERY PLAN': ExplainJson[] })['QUERY PLAN'][0]!;
        planning.push(plan['Planning Time']);
        execution.push(plan['Execution Time']);
        trigger.push((plan.Triggers ?? []).reduce((s, t) => s + t.Time, 0));
      } finally {
        await client.query('ROLLBACK');
      }
    }
  } finally {
    await client.end();
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  return { planningMs: med(planning), executionMs: med(execution), triggerMs: med(trigger) };
}

interface ExplainJson {
  'Planning Time': number;
  'Execution Time': number;
  Triggers?: { 'Trigger Name': string; Time: number }[];
}

/**
 * WAL bytes per transaction of each variant: `count` transactions run one after another on one
 * connection, `pg_current_wal_lsn()` before and after. The LSN is server-wide, so other activity
 * on the server inflates it: take the smallest of three tries.
 */
export async function walPerTransaction(
  url: string,
  variants: readonly ProducerVariant[],
  count = 300,
): Promise<Record<string, number>> {
  const counting = countingClient(url, 1, 'outrig-bench-wal');
  const raw = new pg.Client({ connectionString: url });
  const notifier = new pg.Client({ connectionString: url });
  await Promise.all([raw.connect(), notifier.connect()]);
  const ctx: VariantContext = {
    sql: counting.sql,
    raw: [raw],
    notifyAfterCommit: coalescingNotifier(notifier),
  };
  const lsn = async () =>
    (await raw.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
  const diff = async (a: string, b: string) =>
    Number((await raw.query<{ d: string }>('SELECT pg_wal_lsn_diff($2, $1)::text AS d', [a, b])).rows[0]!.d);
  const out: Record<string, number> = {};
  try {
    for (const v of variants) {
      const tries: number[] = [];
      for (let t = 0; t < 3; t++) {
        await resetProducerDb(counting.sql);
        if (v.before) await counting.sql.query(v.before);
        try {
          // Warm the aggregates' rows, then measure steady-state transactions.
          for (let i = 0; i < 50; i++) await v.op(ctx, 0, i);
          const a = await lsn();
          for (let i = 50; i < 50 + count; i++) await v.op(ctx, 0, i);
          const b = await lsn();
          tries.push((await diff(a, b)) / count);
        } finally {
          if (v.after) await counting.sql.query(v.after);
        }
      }
      out[v.name] = Math.min(...tries);
    }
    await resetProducerDb(counting.sql);
  } finally {
    await Promise.all([raw.end(), notifier.end()]);
    await counting.sql.close();
  }
  return out;
}

/** The outbox write's parameters for one event, built the way `writeOutbox` builds them (no trace context). */
function writeParams(c: number, i: number): unknown[] {
  const subject = aggregateOf(c, i);
  const event = createEvent(AccountChanged, {
    subject,
    source: '/services/bench',
    data: { p: 0, c, i, t: nowMs(), amount: i },
  });
  const type = AccountChanged.aggregateType;
  return [
    [type],
    [subject],
    [1],
    [event.id],
    [AccountChanged.topic],
    [type],
    [subject],
    [1],
    [JSON.stringify(event)],
    [null],
    [null],
    [null],
    'on', // $13: the outbox_notify trigger NOTIFYs at commit, as for a caller's own transaction
  ];
}

/**
 * What-ifs on plain `pg` connections with the outbox's own write statement (captured from a real
 * unit of work, so the server does the same work): `unnamed` as the outbox sends it today (parsed
 * and planned every time), `prepared` as a named statement (parsed and planned once per
 * connection), `folded` with its parameters inlined and `; COMMIT` appended, in one round trip.
 */
export function rawWriteVariant(writeSql: string, mode: 'unnamed' | 'prepared' | 'folded'): ProducerVariant {
  const what = {
    unnamed: 'as today (unnamed: parse + plan per call)',
    prepared: 'as a named prepared statement',
    folded: 'and COMMIT in one round trip (literals)',
  }[mode];
  return {
    name: `raw-uow-${mode}`,
    description: `plain pg: BEGIN; INSERT ledger; outbox write ${what}${mode === 'folded' ? '' : '; COMMIT'}`,
    roundTrips: mode === 'folded' ? 3 : 4,
    async op(ctx, c, i) {
      const client = ctx.raw[c]!;
      const params = writeParams(c, i);
      await client.query('BEGIN');
      try {
        await client.query(INSERT_STATE, [aggregateOf(c, i), i]);
        if (mode === 'folded') await client.query(`${inlineParams(writeSql, params)}; COMMIT`);
        else {
          if (mode === 'prepared')
            await client.query({ name: 'bench_outbox_write', text: writeSql, values: params });
          else await client.query(writeSql, params);
          await client.query('COMMIT');
        }
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    },
  };
}

/** The same transaction without the event, on the same plain connections: the reference for the folded variant. */
export const RAW_TX: ProducerVariant = {
  name: 'raw-tx',
  description: 'plain pg: BEGIN; INSERT ledger; COMMIT',
  roundTrips: 3,
  async op(ctx, c, i) {
    const client = ctx.raw[c]!;
    await client.query('BEGIN');
    await client.query(INSERT_STATE, [aggregateOf(c, i), i]);
    await client.query('COMMIT');
  },
};

/** Replaces `$n` by SQL literals (arrays as `ARRAY[…]`; the statement's own casts type them). */
export function inlineParams(text: string, params: readonly unknown[]): string {
  const literal = (v: unknown): string => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return v.length === 0 ? `'{}'` : `ARRAY[${v.map(literal).join(', ')}]`;
    if (typeof v === 'number') return String(v);
    return pg.escapeLiteral(String(v));
  };
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(params[Number(n) - 1]));
}
