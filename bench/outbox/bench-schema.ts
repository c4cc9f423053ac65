import { performance } from 'node:perf_hooks';
import { migrate, type SqlClient, type SqlQueryable } from '@outrig/db';
import { defineEvent, inboxMigrations, outboxMigrations } from '@outrig/messaging';
import { Type } from 'typebox';

/**
 * The benchmark's event: `p` = phase, `c` = producer client, `i` = its counter (together unique,
 * so producer and consumer samples can be joined), `t` = wall-clock ms when published.
 */
export const AccountChanged = defineEvent({
  type: 'account.changed',
  aggregateType: 'account',
  schema: Type.Object({
    p: Type.Integer(),
    c: Type.Integer(),
    i: Type.Integer(),
    t: Type.Number(),
    amount: Type.Integer(),
  }),
});

/** The topic `AccountChanged` goes to. */
export const TOPIC = AccountChanged.topic;

/** Aggregates per producer client: each client writes its own, so producers never wait on each other's locks. */
export const AGGREGATES_PER_CLIENT = 1000;

/** The aggregate (account) id the `i`-th unit of work of client `c` changes. */
export function aggregateOf(c: number, i: number): string {
  return `acc-${c}-${i % AGGREGATES_PER_CLIENT}`;
}

/** The business table every variant writes one row to: a small, append-only ledger. */
export const INSERT_STATE = 'INSERT INTO ledger (account_id, amount) VALUES ($1, $2)';

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Producer database: the outbox tables plus the ledger. */
export async function setupProducerDb(sql: SqlClient): Promise<void> {
  await migrate(sql, [
    outboxMigrations,
    {
      name: 'bench/producer',
      migrations: [
        {
          id: '0001_ledger',
          sql: `CREATE TABLE ledger (id bigserial PRIMARY KEY, account_id text NOT NULL, amount int NOT NULL,
                                     at timestamptz NOT NULL DEFAULT now());
                CREATE TABLE baseline (id bigserial PRIMARY KEY, n int NOT NULL)`,
        },
      ],
    },
  ]);
}

/** Consumer database: the inbox plus the side-effect table the handler writes. */
export async function setupConsumerDb(sql: SqlClient): Promise<void> {
  await migrate(sql, [
    inboxMigrations,
    {
      name: 'bench/consumer',
      migrations: [
        {
          id: '0001_side_effect',
          sql: `CREATE TABLE side_effect (event_id uuid PRIMARY KEY, account_id text NOT NULL, amount int NOT NULL)`,
        },
      ],
    },
  ]);
}

/** Empties the producer tables between rounds so every round starts from the same state. */
export async function resetProducerDb(sql: SqlQueryable): Promise<void> {
  await sql.query('TRUNCATE ledger, baseline, outbox, outbox_aggregate');
}
