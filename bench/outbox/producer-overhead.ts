import type { SqlClient } from '@outrig/db';
import { createOutbox } from '@outrig/messaging';
import pg from 'pg';
import { AccountChanged, aggregateOf, INSERT_STATE, nowMs, resetProducerDb } from './bench-schema.ts';
import {
  type CountingClient,
  countingClient,
  type StatementCapture,
  type StatementCount,
} from './counting-pool.ts';
import { cpuDelta, cpuSnapshot } from './cpu-sampler.ts';
import { type ClientsResult, runClients } from './run-clients.ts';

/** What a variant's operation runs on: the counting SqlClient, and one plain `pg` connection per client. */
export interface VariantContext {
  readonly sql: SqlClient;
  readonly raw: readonly pg.Client[];
  /** Sends `pg_notify('outrig_outbox', '')` on its own connection, at most one in flight (coalesced). */
  readonly notifyAfterCommit: () => void;
}

/** One way of running the business transaction. */
export interface ProducerVariant {
  readonly name: string;
  readonly description: string;
  /** SQL run before the variant's round and undone after it (e.g. disabling the NOTIFY trigger). */
  readonly before?: string;
  readonly after?: string;
  /** Round trips per transaction when they run on the plain connections (not counted). */
  readonly roundTrips?: number;
  op(ctx: VariantContext, c: number, i: number): Promise<unknown>;
}

/**
 * (a) The database's raw commit rate: plain `pg` connections, one autocommit single-row INSERT
 * per operation. Everything else is measured against it.
 */
export const BASELINE: ProducerVariant = {
  name: 'baseline',
  description: 'plain pg, autocommit INSERT INTO baseline (one statement, one commit)',
  roundTrips: 1,
  op: (ctx, c, i) => ctx.raw[c]!.query('INSERT INTO baseline (n) VALUES ($1)', [i]),
};

const outbox = createOutbox({ source: '/services/bench' });

const publishOne = (ctx: VariantContext, c: number, i: number) =>
  outbox.unitOfWork(ctx.sql, async (uow) => {
    const subject = aggregateOf(c, i);
    await uow.tx.query(INSERT_STATE, [subject, i]);
    uow.publish(AccountChanged, { subject, data: { p: 0, c, i, t: nowMs(), amount: i } });
  });

/** Without the outbox: the same SqlClient transaction (same BEGIN/COMMIT path), no event. */
export const WITHOUT_OUTBOX: ProducerVariant = {
  name: 'tx',
  description: 'BEGIN; INSERT ledger; COMMIT',
  op: (ctx, c, i) => ctx.sql.transaction((tx) => tx.query(INSERT_STATE, [aggregateOf(c, i), i])),
};

/** With the outbox: `outbox.unitOfWork` + `uow.publish`, everything else identical. */
export const WITH_OUTBOX: ProducerVariant = {
  name: 'uow',
  description: 'unitOfWork: BEGIN; INSERT ledger; outbox write; COMMIT',
  op: publishOne,
};

/**
 * Variants that explain the gap: the cost of one more round trip alone, of the NOTIFY alone, and
 * of the outbox write without its NOTIFY trigger.
 */
export const DIAGNOSTIC_VARIANTS: readonly ProducerVariant[] = [
  {
    name: 'tx+select1',
    description: 'tx plus one trivial round trip (SELECT 1)',
    op: (ctx, c, i) =>
      ctx.sql.transaction(async (tx) => {
        await tx.query(INSERT_STATE, [aggregateOf(c, i), i]);
        await tx.query('SELECT 1');
      }),
  },
  {
    name: 'tx+notify',
    description: "tx plus SELECT pg_notify('outrig_outbox', '') (what the outbox trigger does)",
    op: (ctx, c, i) =>
      ctx.sql.transaction(async (tx) => {
        await tx.query(INSERT_STATE, [aggregateOf(c, i), i]);
        await tx.query(`SELECT pg_notify('outrig_outbox', '')`);
      }),
  },
  {
    name: 'uow-no-notify',
    description: 'unitOfWork with the outbox_notify trigger disabled',
    before: 'ALTER TABLE outbox DISABLE TRIGGER outbox_notify',
    after: 'ALTER TABLE outbox ENABLE TRIGGER outbox_notify',
    op: publishOne,
  },
  {
    name: 'uow+late-notify',
    description: 'trigger disabled; one coalesced pg_notify after commit, outside the transaction',
    before: 'ALTER TABLE outbox DISABLE TRIGGER outbox_notify',
    after: 'ALTER TABLE outbox ENABLE TRIGGER outbox_notify',
    op: async (ctx, c, i) => {
      await publishOne(ctx, c, i);
      ctx.notifyAfterCommit();
    },
  },
];

/**
 * A NOTIFY sent after commit in its own statement (no write, so no WAL flush under PostgreSQL's
 * global notify lock), coalesced: while one is in flight, further calls fold into one more.
 */
export function coalescingNotifier(client: pg.Client): () => void {
  let inFlight = false;
  let again = false;
  const send = (): void => {
    client.query(`SELECT pg_notify('outrig_outbox', '')`).then(
      () => {
        if (again) {
          again = false;
          send();
        } else inFlight = false;
      },
      () => {
        inFlight = false;
      },
    );
  };
  return () => {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    send();
  };
}

/** One measured round of one variant. */
export interface VariantRound {
  variant: string;
  result: ClientsResult;
  /** Statements per transaction (BEGIN and COMMIT included), from the counting client. */
  statementsPerTx: number;
  /** CPU time per transaction, µs: this (client) process, and the database's backends. */
  clientCpuUs: number;
  dbCpuUs: number;
  statements: StatementCount[];
}

/**
 * (a)+(b) Runs the variants in alternating rounds (A B A B …, after one unmeasured warm-up round of
 * each), each round on emptied tables, all through one counting SqlClient with `clients`
 * connections and `clients` concurrent loops.
 */
export async function measureProducerVariants(
  url: string,
  variants: readonly ProducerVariant[],
  options: { clients: number; seconds: number; rounds: number; warmupSeconds: number },
  capture?: StatementCapture,
): Promise<VariantRound[]> {
  const counting: CountingClient = countingClient(url, options.clients, 'outrig-bench-producer', capture);
  const raw = Array.from({ length: options.clients }, () => new pg.Client({ connectionString: url }));
  const notifier = new pg.Client({ connectionString: url });
  await Promise.all([...raw, notifier].map((c) => c.connect()));
  const ctx: VariantContext = { sql: counting.sql, raw, notifyAfterCommit: coalescingNotifier(notifier) };
  const out: VariantRound[] = [];
  const roundOf = async (v: ProducerVariant, seconds: number) => {
    await resetProducerDb(counting.sql);
    if (v.before) await counting.sql.query(v.before);
    // CPU per transaction barely moves when other processes compete for the cores: the steadier figure.
    const pids = await backendPids(counting.sql);
    counting.reset();
    const db0 = cpuSnapshot(pids);
    const client0 = process.cpuUsage();
    try {
      const result = await runClients(options.clients, seconds, (c, i) => v.op(ctx, c, i));
      const client = process.cpuUsage(client0);
      const dbMs = cpuDelta(db0, cpuSnapshot(pids));
      const n = Math.max(1, result.completed);
      const statements = counting.counts();
      // The baseline runs on the plain connections: one statement per commit, not counted.
      const begins = statements.find((s) => s.label === 'BEGIN')?.count;
      const total = statements.reduce((n, s) => n + s.count, 0);
      return {
        variant: v.name,
        result,
        statementsPerTx: begins ? total / begins : (v.roundTrips ?? Number.NaN),
        statements,
        clientCpuUs: (client.user + client.system) / n,
        dbCpuUs: (dbMs * 1000) / n,
      };
    } finally {
      if (v.after) await counting.sql.query(v.after);
    }
  };
  try {
    if (options.warmupSeconds > 0) for (const v of variants) await roundOf(v, options.warmupSeconds);
    for (let r = 0; r < options.rounds; r++)
      for (const v of variants) out.push(await roundOf(v, options.seconds));
    await resetProducerDb(counting.sql);
  } finally {
    await Promise.all([...raw, notifier].map((c) => c.end()));
    await counting.sql.close();
  }
  return out;
}

/** Pids of every backend connected to this database (ours: the database is the run's own). */
async function backendPids(sql: SqlClient): Promise<number[]> {
  const { rows } = await sql.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
  );
  return rows.map((r) => r.pid);
}
