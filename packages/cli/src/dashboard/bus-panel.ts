import { createPgClient, redactUrl, type SqlClient } from '@outrig/db';
import type { BusEvent } from './dev-hub.ts';

/** A consumer group's position on one topic. */
export interface ConsumerLag {
  readonly group: string;
  readonly topic: string;
  /** Events published but not yet handled by the group. */
  readonly lag: number;
  readonly partitions: number;
  /** Live members of the group (consumer processes heartbeating). */
  readonly members: number;
}

export interface BusView {
  readonly bus: string;
  readonly consumers: readonly ConsumerLag[];
  readonly error?: string;
}

const SCHEMA = 'outrig_bus';
/** Events read back per partition when the dashboard starts. */
const BACKFILL = 20;

/**
 * The postgres transport's bus database (BUS_URL): consumer groups with their lag and live
 * members, and every event published from now on (read from the bus log, never consuming).
 */
export class BusPanel {
  readonly #sql: SqlClient;
  readonly #url: string;
  readonly #seen = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(url: string) {
    this.#url = url;
    this.#sql = createPgClient({ url, max: 1, applicationName: 'outrig-dashboard', connectTimeoutMs: 5000 });
  }

  async view(): Promise<BusView> {
    const bus = redactUrl(this.#url);
    try {
      const { rows } = await this.#sql.query<{
        grp: string;
        topic: string;
        lag: string;
        partitions: string;
        members: string;
      }>(
        `select g.grp, g.topic,
                sum(greatest(h.next_offset - 1 - g.committed, 0))::text as lag,
                count(*)::text as partitions,
                (select count(*) from ${SCHEMA}.members m
                  where m.grp = g.grp and m.expires_at > clock_timestamp() and g.topic = any(m.topics))::text as members
           from ${SCHEMA}.group_partitions g
           join ${SCHEMA}.heads h on h.topic = g.topic and h.partition = g.partition
          group by g.grp, g.topic order by g.grp, g.topic`,
      );
      return {
        bus,
        consumers: rows.map((r) => ({
          group: r.grp,
          topic: r.topic,
          lag: Number(r.lag),
          partitions: Number(r.partitions),
          members: Number(r.members),
        })),
      };
    } catch (err) {
      const missing =
        (err as { code?: string }).code === '42P01' || (err as { code?: string }).code === '3F000';
      return { bus, consumers: [], error: missing ? 'no events published yet' : (err as Error).message };
    }
  }

  /** Polls the bus log every `intervalMs` and reports each new event. */
  watch(onEvent: (event: BusEvent) => void, intervalMs = 500): void {
    const tick = async () => {
      if (this.#polling) return;
      this.#polling = true;
      try {
        for (const e of await this.#poll()) onEvent(e);
      } catch {
        // The bus tables appear with the first publish; a stopped server comes back.
      } finally {
        this.#polling = false;
      }
    };
    this.#timer = setInterval(() => void tick(), intervalMs);
    void tick();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sql.close();
  }

  async #poll(): Promise<BusEvent[]> {
    const heads = await this.#sql.query<{ topic: string; partition: number; last: string }>(
      `select topic, partition, (next_offset - 1)::text as last from ${SCHEMA}.heads`,
    );
    const out: BusEvent[] = [];
    for (const h of heads.rows) {
      const key = `${h.topic}/${h.partition}`;
      const last = Number(h.last);
      const seen = this.#seen.get(key) ?? Math.max(0, last - BACKFILL);
      if (last <= seen) {
        this.#seen.set(key, seen);
        continue;
      }
      const { rows } = await this.#sql.query<{ offset: string; event: string; published_at: Date }>(
        `select "offset"::text as offset, event::text as event, published_at from ${SCHEMA}.log
          where topic = $1 and partition = $2 and "offset" > $3 order by "offset" limit 200`,
        [h.topic, h.partition, seen],
      );
      let upTo = seen;
      for (const r of rows) {
        upTo = Math.max(upTo, Number(r.offset));
        out.push(busEvent(h.topic, h.partition, Number(r.offset), r.event, r.published_at));
      }
      this.#seen.set(key, rows.length === 200 ? upTo : last);
    }
    return out.sort((a, b) => a.time.localeCompare(b.time));
  }
}

/** A row of the bus log as a {@link BusEvent} (the CloudEvent's fields, its trace id, dead-letter extensions). */
export function busEvent(topic: string, partition: number, offset: number, text: string, at: Date): BusEvent {
  let e: Record<string, unknown> = {};
  try {
    e = JSON.parse(text) as Record<string, unknown>;
  } catch {}
  const traceparent = typeof e.traceparent === 'string' ? e.traceparent.split('-') : [];
  return {
    topic,
    partition,
    offset,
    id: String(e.id ?? ''),
    type: String(e.type ?? ''),
    source: String(e.source ?? ''),
    ...(typeof e.subject === 'string' ? { subject: e.subject } : {}),
    ...(traceparent.length === 4 ? { traceId: traceparent[1]! } : {}),
    time: at.toISOString(),
    data: e.data,
    ...(typeof e.deadletterreason === 'string'
      ? {
          deadLetter: {
            reason: e.deadletterreason,
            attempts: Number(e.deadletterattempts ?? 0),
            group: String(e.deadlettergroup ?? ''),
            topic: String(e.deadlettertopic ?? ''),
          },
        }
      : {}),
  };
}
