import type { SqlQueryable } from '@outrig/db';
import { OUTBOX_CHANNEL } from './outbox-migrations.ts';

interface NotifyState {
  inFlight: boolean;
  again: boolean;
}

const states = new WeakMap<SqlQueryable, NotifyState>();

/**
 * Wakes the relays of other processes after a unit of work committed, with one `pg_notify` on
 * `sql` outside the producer's transaction — so producing commits no longer take PostgreSQL's
 * cluster-wide notify lock. Coalesced per client: at most one NOTIFY in flight; commits made
 * while it runs are covered by one more right after it. A hint only (relays also poll): errors
 * are ignored and nothing waits for it.
 */
export function notifyOutboxCommit(sql: SqlQueryable): void {
  let state = states.get(sql);
  if (state === undefined) {
    state = { inFlight: false, again: false };
    states.set(sql, state);
  }
  if (state.inFlight) {
    state.again = true;
    return;
  }
  send(sql, state);
}

function send(sql: SqlQueryable, state: NotifyState): void {
  state.inFlight = true;
  state.again = false;
  let sent: Promise<unknown>;
  try {
    sent = sql.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
  } catch {
    sent = Promise.resolve();
  }
  sent
    .catch(() => {})
    .finally(() => {
      state.inFlight = false;
      if (state.again) send(sql, state);
    });
}
