import type { SqlQueryable } from '@outrig/db';
import type { TraceCarrier } from '@outrig/messaging';

/** Identifies one partition of a topic. */
export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** A lease just acquired: where to resume and which offsets were handed out before. */
export interface AcquiredLease extends PartitionRef {
  readonly epoch: number;
  readonly committed: number;
  /** offset → deliveries so far, for messages handed out and not acked by earlier owners. */
  readonly inflight: Record<string, number>;
  /** offset → wall-clock ms before which a nacked message is not redelivered. */
  readonly delays: Record<string, number>;
}

/** A fenced write of one partition's progress. */
export interface PartitionSync extends PartitionRef {
  readonly epoch: number;
  readonly committed: number;
  readonly inflight: Record<string, number>;
  /** offset → wall-clock ms before which a nacked message is not redelivered. */
  readonly delays: Record<string, number>;
}

/** A fetched log row. */
export interface LogRow extends PartitionRef {
  readonly offset: number;
  readonly key: string;
  readonly event: unknown;
  /** The publisher's trace context (the log's `headers`), when it had one. */
  readonly traceContext?: TraceCarrier;
}

/**
 * The SQL of consumer groups. Every write that depends on owning a partition is fenced by
 * `owner = member and epoch = <epoch seen at acquisition> and expires_at > clock_timestamp()`:
 * once a lease expired (on the database clock) or was taken over, its former owner can change
 * nothing, whatever its own clock or pause says.
 */
export class GroupStore {
  readonly #sql: SqlQueryable;
  readonly #s: string;
  readonly #group: string;
  readonly #member: string;
  readonly #leaseMs: number;

  constructor(sql: SqlQueryable, schema: string, group: string, member: string, leaseMs: number) {
    this.#sql = sql;
    this.#s = `"${schema}"`;
    this.#group = group;
    this.#member = member;
    this.#leaseMs = leaseMs;
  }

  /** Creates the group's partition rows (a new group starts at `earliest` or `latest`). */
  async join(topics: readonly string[], startFrom: 'earliest' | 'latest'): Promise<void> {
    await this.#sql.query(
      `insert into ${this.#s}.group_partitions (grp, topic, partition, committed)
       select $1, h.topic, h.partition, case when $3 then h.next_offset - 1 else 0 end
       from ${this.#s}.heads h where h.topic = any($2::text[])
       on conflict do nothing`,
      [this.#group, topics, startFrom === 'latest'],
    );
  }

  /** Heartbeat: refreshes this member and returns the live members with their topics. */
  async heartbeat(topics: readonly string[]): Promise<Map<string, readonly string[]>> {
    const res = await this.#sql.query<{ member_id: string; topics: string[] }>(
      `with up as (
         insert into ${this.#s}.members (grp, member_id, topics, expires_at)
         values ($1, $2, $3, clock_timestamp() + $4 * interval '1 millisecond')
         on conflict (grp, member_id) do update set topics = excluded.topics, expires_at = excluded.expires_at
       ), gone as (
         delete from ${this.#s}.members where grp = $1 and expires_at < clock_timestamp() - interval '1 minute'
       )
       select member_id, topics from ${this.#s}.members
       where grp = $1 and member_id <> $2 and expires_at > clock_timestamp()`,
      [this.#group, this.#member, topics, this.#leaseMs],
    );
    const members = new Map<string, readonly string[]>(res.rows.map((r) => [r.member_id, r.topics]));
    members.set(this.#member, topics);
    return members;
  }

  /** Extends the leases still held; returns those renewed (the rest are lost). */
  async renew(leases: readonly (PartitionRef & { epoch: number })[]): Promise<Set<string>> {
    if (leases.length === 0) return new Set();
    const res = await this.#sql.query<{ topic: string; partition: number }>(
      `update ${this.#s}.group_partitions g set expires_at = clock_timestamp() + $3 * interval '1 millisecond'
       from unnest($4::text[], $5::int[], $6::bigint[]) v(topic, partition, epoch)
       where g.grp = $1 and g.owner = $2 and g.topic = v.topic and g.partition = v.partition
         and g.epoch = v.epoch and g.expires_at > clock_timestamp()
       returning g.topic, g.partition`,
      [
        this.#group,
        this.#member,
        this.#leaseMs,
        leases.map((l) => l.topic),
        leases.map((l) => l.partition),
        leases.map((l) => l.epoch),
      ],
    );
    return new Set(res.rows.map((r) => partKey(r.topic, r.partition)));
  }

  /** Takes the given partitions where they are free (never owned, released, or expired). */
  async acquire(wanted: readonly PartitionRef[]): Promise<AcquiredLease[]> {
    if (wanted.length === 0) return [];
    const res = await this.#sql.query<{
      topic: string;
      partition: number;
      epoch: string;
      committed: string;
      inflight: Record<string, number>;
      delays: Record<string, number>;
    }>(
      `update ${this.#s}.group_partitions g
       set owner = $2, epoch = g.epoch + 1, expires_at = clock_timestamp() + $3 * interval '1 millisecond'
       from unnest($4::text[], $5::int[]) v(topic, partition)
       where g.grp = $1 and g.topic = v.topic and g.partition = v.partition
         and (g.owner is null or g.expires_at is null or g.expires_at <= clock_timestamp())
       returning g.topic, g.partition, g.epoch, g.committed, g.inflight, g.delays`,
      [this.#group, this.#member, this.#leaseMs, wanted.map((w) => w.topic), wanted.map((w) => w.partition)],
    );
    return res.rows.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      epoch: Number(r.epoch),
      committed: Number(r.committed),
      inflight: parseJson(r.inflight) as Record<string, number>,
      delays: (parseJson(r.delays) ?? {}) as Record<string, number>,
    }));
  }

  /** Writes committed offsets and in-flight maps; returns the partitions whose write was accepted. */
  async sync(updates: readonly PartitionSync[]): Promise<Set<string>> {
    if (updates.length === 0) return new Set();
    const res = await this.#sql.query<{ topic: string; partition: number }>(
      `update ${this.#s}.group_partitions g
       set committed = greatest(g.committed, v.committed), inflight = v.inflight, delays = v.delays
       from jsonb_to_recordset($3::jsonb) v(topic text, partition int, epoch bigint, committed bigint, inflight jsonb, delays jsonb)
       where g.grp = $1 and g.owner = $2 and g.topic = v.topic and g.partition = v.partition
         and g.epoch = v.epoch and g.expires_at > clock_timestamp()
       returning g.topic, g.partition`,
      [this.#group, this.#member, JSON.stringify(updates)],
    );
    return new Set(res.rows.map((r) => partKey(r.topic, r.partition)));
  }

  /** Gives a partition back (fenced), so the next owner can take it at once. */
  async release(leases: readonly (PartitionRef & { epoch: number })[]): Promise<void> {
    if (leases.length === 0) return;
    await this.#sql.query(
      `update ${this.#s}.group_partitions g set owner = null, expires_at = null
       from unnest($3::text[], $4::int[], $5::bigint[]) v(topic, partition, epoch)
       where g.grp = $1 and g.owner = $2 and g.topic = v.topic and g.partition = v.partition and g.epoch = v.epoch`,
      [
        this.#group,
        this.#member,
        leases.map((l) => l.topic),
        leases.map((l) => l.partition),
        leases.map((l) => l.epoch),
      ],
    );
  }

  /** Removes this member so the others rebalance without waiting for its expiry. */
  async leave(): Promise<void> {
    await this.#sql.query(`delete from ${this.#s}.members where grp = $1 and member_id = $2`, [
      this.#group,
      this.#member,
    ]);
  }

  /** Up to `limit` rows after `after` per partition, in offset order, in one round trip. */
  async fetch(wanted: readonly (PartitionRef & { after: number; limit: number })[]): Promise<LogRow[]> {
    if (wanted.length === 0) return [];
    const res = await this.#sql.query<{
      topic: string;
      partition: number;
      offset: string;
      key: string;
      event: unknown;
      headers: unknown;
    }>(
      `select c.topic, c.partition, l."offset", l.key, l.event, l.headers
       from unnest($1::text[], $2::int[], $3::bigint[], $4::int[]) with ordinality c(topic, partition, after, lim, ord)
       cross join lateral (
         select "offset", key, event, headers from ${this.#s}.log l
         where l.topic = c.topic and l.partition = c.partition and l."offset" > c.after
         order by l."offset" limit c.lim
       ) l
       order by c.ord, l."offset"`,
      [
        wanted.map((w) => w.topic),
        wanted.map((w) => w.partition),
        wanted.map((w) => w.after),
        wanted.map((w) => w.limit),
      ],
    );
    return res.rows.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      offset: Number(r.offset),
      key: r.key,
      event: parseJson(r.event),
      traceContext: r.headers ? (parseJson(r.headers) as TraceCarrier) : undefined,
    }));
  }
}

/** Map key of a partition. */
export function partKey(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}

/** node-postgres parses json(b); another driver behind SqlClient may hand back text. */
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}
