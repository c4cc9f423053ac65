/**
 * Counting, from the data only: the outbox (every committed event) against the consumer's
 * `effects` rows (one per handler run).
 *
 * - lost: expected events without an effect;
 * - duplicated_effects: effect rows − distinct event ids;
 * - order_violations: per aggregate, first run of each event only, an effect whose version is not
 *   above the one handled before it — by insert order (`seq`) or by commit order (`prev_version`,
 *   read under the aggregate's row lock);
 * - unexpected: effects of events that must not be handled (poison) or that are not in the outbox.
 */
import type { SqlQueryable } from '@outrig/db';

export interface OutboxRow {
  readonly id: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly state: string;
}

export interface Tally {
  /** Events committed (outbox rows). */
  readonly written: number;
  /** Events expected to be handled. */
  readonly events: number;
  readonly handled: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly orderViolations: number;
  readonly unexpected: number;
}

export async function outboxRows(sql: SqlQueryable): Promise<OutboxRow[]> {
  const { rows } = await sql.query<{ id: string; aggregate_id: string; version: string; state: string }>(
    'SELECT id::text AS id, aggregate_id, aggregate_version::text AS version, state FROM outbox',
  );
  return rows.map((r) => ({
    id: r.id,
    aggregateId: r.aggregate_id,
    version: Number(r.version),
    state: r.state,
  }));
}

/** Distinct events with an effect (cheap; used while waiting). */
export async function handledCount(consumer: SqlQueryable): Promise<number> {
  const { rows } = await consumer.query<{ n: string }>(
    'SELECT count(DISTINCT event_id)::text AS n FROM effects',
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Tallies effects against the outbox.
 * @param expectHandled which outbox rows must be handled (default: all)
 */
export async function tally(
  producer: SqlQueryable,
  consumer: SqlQueryable,
  expectHandled: (row: OutboxRow) => boolean = () => true,
): Promise<Tally> {
  const all = await outboxRows(producer);
  const expected = new Map(all.filter(expectHandled).map((r) => [r.id, r]));
  const { rows: effects } = await consumer.query<{
    event_id: string;
    aggregate_id: string;
    version: string;
    prev_version: string | null;
  }>(
    `SELECT event_id::text AS event_id, aggregate_id, version::text AS version, prev_version::text AS prev_version
       FROM effects ORDER BY seq`,
  );
  const seen = new Set<string>();
  const lastVersion = new Map<string, number>();
  let orderViolations = 0;
  let unexpected = 0;
  for (const effect of effects) {
    if (seen.has(effect.event_id)) continue;
    seen.add(effect.event_id);
    if (!expected.has(effect.event_id)) unexpected++;
    const version = Number(effect.version);
    const last = lastVersion.get(effect.aggregate_id);
    // Insert order (seq) and commit order (the version found under the aggregate's lock).
    const behindInsert = last !== undefined && version <= last;
    const behindCommit = effect.prev_version !== null && version <= Number(effect.prev_version);
    if (behindInsert || behindCommit) orderViolations++;
    lastVersion.set(effect.aggregate_id, Math.max(version, last ?? 0));
  }
  let lost = 0;
  for (const id of expected.keys()) if (!seen.has(id)) lost++;
  return {
    written: all.length,
    events: expected.size,
    handled: expected.size - lost,
    lost,
    duplicated: effects.length - seen.size,
    orderViolations,
    unexpected,
  };
}

/**
 * The relay audit: writes by a relay that did not hold the partition's lease at that instant,
 * and (partition, epoch) pairs written by more than one relay. Both must be 0.
 */
export async function fencingAudit(
  producer: SqlQueryable,
): Promise<{ writes: number; foreignWrites: number; sharedEpochs: number }> {
  const { rows } = await producer.query<{ writes: string; foreign_writes: string; shared: string }>(
    `SELECT (SELECT count(*) FROM relay_audit)::text AS writes,
            (SELECT count(*) FROM relay_audit WHERE owner IS DISTINCT FROM writer)::text AS foreign_writes,
            (SELECT count(*) FROM (SELECT 1 FROM relay_audit GROUP BY partition, epoch
                                   HAVING count(DISTINCT writer) > 1) s)::text AS shared`,
  );
  const r = rows[0]!;
  return {
    writes: Number(r.writes),
    foreignWrites: Number(r.foreign_writes),
    sharedEpochs: Number(r.shared),
  };
}
