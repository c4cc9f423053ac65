import { randomUUID } from 'node:crypto';
import type { SqlQueryable } from '@outrig/db';
import type { CloudEvent } from '@outrig/messaging';
import { createPostgresBroker, type PostgresBroker, type PostgresBrokerOptions } from '../src/index.ts';

const appNames = new WeakMap<object, string>();

/** A broker with short leases and polls, as tests need; each gets its own application_name. */
export function testBroker(url: string, options: Partial<PostgresBrokerOptions> = {}): PostgresBroker {
  const applicationName = `pgbus-test-${randomUUID().slice(0, 8)}`;
  const broker = createPostgresBroker({
    url,
    leaseMs: 1500,
    pollIntervalMs: 200,
    cleanupIntervalMs: 0,
    retryDelayMs: 50,
    applicationName,
    ...options,
  });
  appNames.set(broker, applicationName);
  return broker;
}

/** Terminates the backends of one test broker (its pool and its LISTEN connection). */
export async function terminateBackends(admin: SqlQueryable, broker: object): Promise<void> {
  const name = appNames.get(broker);
  if (!name) throw new Error('not a testBroker');
  await admin.query(
    `select pg_terminate_backend(pid) from pg_stat_activity where application_name in ($1, $1 || '-listen')`,
    [name],
  );
}

/** A minimal CloudEvent. */
export function event(data: unknown, id: string = randomUUID()): CloudEvent {
  return {
    specversion: '1.0',
    id,
    source: '/services/test',
    type: 'thing.happened',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Leases of a group: owner → partitions. */
export async function leases(sql: SqlQueryable, group: string): Promise<Map<string, number>> {
  const res = await sql.query<{ owner: string; n: string }>(
    `select owner, count(*) as n from outrig_bus.group_partitions
     where grp = $1 and owner is not null and expires_at > clock_timestamp() group by owner`,
    [group],
  );
  return new Map(res.rows.map((r) => [r.owner, Number(r.n)]));
}
