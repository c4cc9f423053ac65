import type { OutgoingMessage, PublishResult } from '../broker.ts';
import { MessagingErrors } from '../errors.ts';
import { startPublishSpans } from '../tracing/relay-publish-spans.ts';
import type { OwnedLeases } from './relay-leases.ts';
import type { ResolvedRelayOptions } from './relay-options.ts';
import { type ClaimedRow, claimDue, markBatch, type RelayRow, type RowOutcome } from './relay-sql.ts';

/** What one batch did, for the relay's counters. */
export interface BatchReport {
  readonly fetched: number;
  /** Rows held back behind an earlier version that is parked or backing off. */
  readonly held: number;
  /** Set when the whole batch failed and `broker.ping()` failed too: the broker is unreachable. */
  readonly brokerDown?: unknown;
  readonly published: number;
  readonly failed: number;
  readonly parked: number;
  /** Rows whose outcome could not be recorded because a lease moved on (fencing). */
  readonly fenced: number;
  /** Age of the oldest event of the batch when fetched. */
  readonly oldestAgeMs: number | null;
}

/**
 * One relay cycle over the owned partitions: fetch + claim (count the attempt) in one statement →
 * ONE pipelined `broker.publish(batch)` → one fenced mark. No transaction spans the broker call.
 */
export async function relayBatch(options: ResolvedRelayOptions, leases: OwnedLeases): Promise<BatchReport> {
  const { sql, id: relayId, batchSize } = options;
  const config = { maxAttempts: options.maxAttempts, ...options.backoff };
  const { rows, held } = await claimDue(sql, relayId, leases, batchSize, config);
  if (rows.length === 0) {
    return { fetched: 0, held, published: 0, failed: 0, parked: 0, fenced: 0, oldestAgeMs: null };
  }
  const unclaimed = rows.filter((r) => r.state === undefined).length;
  let parked = rows.filter((r) => r.state === 'parked').length;

  // Keep each aggregate's order: once one of its rows is not publishable, its later rows wait.
  const stopped = new Set<string>();
  const toPublish: ClaimedRow[] = [];
  const outcomes: { id: string; outcome: RowOutcome; error?: string }[] = [];
  for (const row of rows) {
    const state = row.state;
    if (state === 'pending' && !stopped.has(row.aggregate)) toPublish.push(row);
    else {
      stopped.add(row.aggregate);
      if (state === 'pending') outcomes.push({ id: row.id, outcome: 'blocked' });
    }
  }

  const results = await publish(options, toPublish);
  const failedKeys = new Set<string>();
  let published = 0;
  let failed = 0;
  toPublish.forEach((row, i) => {
    const result = results[i];
    if (failedKeys.has(row.key)) {
      // The broker sends nothing after a failure of the same key in the batch: not a real attempt.
      outcomes.push({ id: row.id, outcome: result?.ok ? 'ok' : 'blocked' });
      if (result?.ok) published++;
    } else if (result?.ok) {
      outcomes.push({ id: row.id, outcome: 'ok' });
      published++;
    } else {
      failedKeys.add(row.key);
      failed++;
      outcomes.push({ id: row.id, outcome: 'failed', error: describe(result?.error) });
    }
  });

  // Nothing went out: is it these messages, or is the broker down? An outage must not use up the
  // rows' attempts (a long one would park everything): give the attempts back and report it.
  const brokerDown = published === 0 && failed > 0 ? await unreachable(options) : undefined;
  if (brokerDown) {
    for (const o of outcomes)
      if (o.outcome === 'failed') Object.assign(o, { outcome: 'blocked', error: undefined });
    failed = 0;
  }

  const mark =
    outcomes.length > 0 ? await markBatch(sql, relayId, leases, outcomes, config) : { marked: 0, parked: 0 };
  parked += mark.parked;
  return {
    fetched: rows.length,
    held,
    brokerDown,
    published,
    failed,
    parked,
    fenced: unclaimed + (outcomes.length - mark.marked),
    oldestAgeMs: Math.max(...rows.map((r) => r.ageMs)),
  };
}

/** One broker call for the whole batch, bounded by `publishTimeoutMs`; never throws. */
async function publish(
  options: ResolvedRelayOptions,
  rows: RelayRow[],
): Promise<(PublishResult | undefined)[]> {
  if (rows.length === 0) return [];
  const messages: OutgoingMessage[] = rows.map((r) => ({ topic: r.topic, key: r.key, event: r.event }));
  const spans = startPublishSpans(messages, { system: options.broker.name ?? 'outrig', relayId: options.id });
  const results = await publishWithTimeout(options, messages);
  spans?.end(results);
  return results;
}

async function publishWithTimeout(
  options: ResolvedRelayOptions,
  messages: OutgoingMessage[],
): Promise<(PublishResult | undefined)[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          MessagingErrors.RELAY_PUBLISH_TIMEOUT({
            params: { count: messages.length, timeoutMs: options.publishTimeoutMs },
          }),
        ),
      options.publishTimeoutMs,
    );
  });
  try {
    return await Promise.race([options.broker.publish(messages), timeout]);
  } catch (error) {
    return messages.map(() => ({ ok: false, error: error as Error }));
  } finally {
    clearTimeout(timer);
  }
}

/** The ping's error when the broker does not answer it (within 5 s); undefined when it does or has no ping. */
async function unreachable(options: ResolvedRelayOptions): Promise<unknown> {
  const { broker } = options;
  if (typeof broker.ping !== 'function') return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      broker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('broker ping timed out')), 5_000);
      }),
    ]);
    return undefined;
  } catch (error) {
    return error ?? new Error('broker unreachable');
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    text = (typeof code === 'string' ? `${code}: ` : '') + error.message;
  } else text = error === undefined ? 'no result from the broker for this message' : String(error);
  return text.slice(0, 2000);
}
