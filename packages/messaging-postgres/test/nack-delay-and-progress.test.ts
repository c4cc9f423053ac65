import type { Delivery } from '@outrig/messaging';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresBroker } from '../src/index.ts';
import { event, testBroker, waitFor } from './helpers.ts';

const ok = await serverAvailable('postgres');

describe.skipIf(!ok)('postgres broker: nack delays survive restarts; inProgress', () => {
  let db: TestDatabase;
  const brokers: PostgresBroker[] = [];
  const broker = () => {
    const b = testBroker(db.url);
    brokers.push(b);
    return b;
  };

  beforeAll(async () => {
    db = await createTestDatabase('pgbus_nack_delay');
  });
  afterAll(async () => {
    await Promise.all(brokers.map((b) => b.close()));
    await db?.drop();
  });

  it('a nack delay is written before nack() resolves, and a restarted member honours it', async () => {
    const topic = 'delay.events';
    const group = 'delay';
    const a = broker();
    let nackedAt = 0;
    const sub = await a.subscribe([topic], { group }, async (d) => {
      if (nackedAt === 0) {
        await d.nack({ delayMs: 4000 });
        nackedAt = Date.now();
      }
    });
    await a.publish([{ topic, key: 'k', event: event(1) }]);
    await waitFor(() => nackedAt > 0);
    const stored = await db.sql.query<{ delays: Record<string, number> }>(
      'select delays from outrig_bus.group_partitions where grp = $1 and delays <> $2::jsonb',
      [group, '{}'],
    );
    const until = Object.values(stored.rows[0]?.delays ?? {})[0] ?? 0;
    expect(until).toBeGreaterThan(nackedAt + 3000);
    expect(until).toBeLessThanOrEqual(nackedAt + 4100);

    // "Restart": the member goes away; a new process takes the partition over at once.
    await sub.close();
    const b = broker();
    const got: Delivery[] = [];
    await b.subscribe([topic], { group }, async (d) => {
      got.push(d);
      await d.ack();
    });
    await waitFor(() => got.length === 1, 20_000);
    // Redelivered only once the recorded delay had passed (not at once by the new member).
    expect(Date.now()).toBeGreaterThanOrEqual(until - 50);
    expect(got[0]?.attempt).toBe(2);
  });

  it('inProgress() resolves while the member holds the partition, and rejects with PGBUS_LEASE_LOST after', async () => {
    const topic = 'progress.events';
    const group = 'progress';
    const a = broker();
    let held: Delivery | undefined;
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    await a.subscribe([topic], { group }, async (d) => {
      held = d;
      await done;
      await d.ack();
    });
    await a.publish([{ topic, key: 'k', event: event(1) }]);
    await waitFor(() => held !== undefined);
    expect(held?.inProgress).toBeTypeOf('function');
    await expect(held?.inProgress?.()).resolves.toBeUndefined();

    // Another owner fenced it out (the lease expired and was taken): the member loses it.
    await db.sql.query(
      `update outrig_bus.group_partitions set owner = 'someone-else', epoch = epoch + 1,
         expires_at = clock_timestamp() + interval '1 hour' where grp = $1`,
      [group],
    );
    let error: unknown;
    await waitFor(async () => {
      error = await held?.inProgress?.().then(
        () => undefined,
        (e: unknown) => e,
      );
      return error !== undefined;
    });
    expect(error).toMatchObject({ code: 'PGBUS_LEASE_LOST' });
    release();
  });
});
