import { migrate, type SqlClient } from '@outrig/db';
import {
  type Broker,
  createEvent,
  createOutboxRelay,
  inboxMigrations,
  type OutboxRelay,
  outboxMigrations,
} from '@outrig/messaging';
import { createPostgresBroker } from '@outrig/messaging-postgres';
import { createTestDatabase, type TestDatabase } from '@outrig/testing';
import {
  type AnySagaDefinition,
  createSagaRuntime,
  type SagaRuntime,
  sagaMigrations,
} from '../../src/index.ts';
import { TripBooked } from '../fixtures/trip-saga.ts';
import { type Behaviour, type ScriptedCommand, startParticipant } from './participant.ts';
import { writeOutboxFor } from './write-outbox.ts';

/** A database with the saga tables, the postgres transport, a relay and a scripted participant. */
export interface SagaHarness {
  readonly db: TestDatabase;
  readonly sql: SqlClient;
  readonly broker: Broker;
  /** Starts a saga worker (a runtime) on the harness; stopped by close(). */
  worker(sagas: readonly AnySagaDefinition[]): Promise<SagaRuntime>;
  /** Publishes a trip.booked event (through the outbox). */
  book(trip: string): Promise<void>;
  /** Waits until the trip's instance has one of `statuses`. */
  settled(trip: string, statuses?: string[], timeoutMs?: number): Promise<string>;
  /**
   * Makes the trip's armed timers due now when \`expire(step, phase)\` says so: time passing, on
   * the database clock, without waiting for it.
   */
  advanceClock(trip: string, expire: (step: number, phase: string) => boolean): Promise<void>;
  effects(trip: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function startSagaHarness(
  name: string,
  script: (cmd: ScriptedCommand) => Behaviour,
): Promise<SagaHarness> {
  const db = await createTestDatabase(name);
  await migrate(db.sql, [outboxMigrations, inboxMigrations, sagaMigrations]);
  const broker = createPostgresBroker({
    url: db.url,
    leaseMs: 1500,
    pollIntervalMs: 50,
    cleanupIntervalMs: 0,
    retryDelayMs: 20,
  });
  const relays: OutboxRelay[] = [
    createOutboxRelay({ sql: db.sql, broker, pollIntervalMs: 20, leaseMs: 2000, onError: () => {} }),
  ];
  await relays[0]!.start();
  const participant = await startParticipant(db.sql, broker, script);
  const workers: SagaRuntime[] = [];
  const h: SagaHarness = {
    db,
    sql: db.sql,
    broker,
    async worker(sagas) {
      const w = createSagaRuntime({
        sql: db.sql,
        broker,
        source: '/services/trips',
        sagas,
        timerPollMs: 20,
        consumer: { backoff: { baseMs: 5, maxMs: 50 }, maxAttempts: 50 },
      });
      await w.start();
      workers.push(w);
      return w;
    },
    async book(trip) {
      const event = createEvent(TripBooked, { subject: trip, data: {}, source: '/services/booking' });
      await db.sql.transaction(async (tx) => {
        await writeOutboxFor(tx, event);
      });
    },
    async settled(trip, statuses = ['completed', 'compensated', 'compensation_failed'], timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const r = await db.sql.query<{ status: string }>(
          'SELECT status FROM saga_instance WHERE saga_key = $1',
          [trip],
        );
        const status = r.rows[0]?.status;
        if (status && statuses.includes(status)) return status;
        if (Date.now() > until)
          throw new Error(`trip ${trip} is ${status ?? 'not started'} after ${timeoutMs} ms`);
        await new Promise((res) => setTimeout(res, 20));
      }
    },
    async advanceClock(trip, expire) {
      const r = await db.sql.query<{ id: string; step: string; phase: string }>(
        "SELECT id::text AS id, state->>'step' AS step, state->>'phase' AS phase FROM saga_instance WHERE saga_key = $1",
        [trip],
      );
      const row = r.rows[0];
      if (!row || !expire(Number(row.step), row.phase)) return;
      await db.sql.query(
        "UPDATE saga_timer SET due_at = clock_timestamp() WHERE instance_id = $1 AND name = 'step'",
        [row.id],
      );
    },
    async effects(trip) {
      const r = await db.sql.query<{ e: string }>(
        `SELECT phase || step AS e FROM participant_effect WHERE trip = $1 ORDER BY seq`,
        [trip],
      );
      return r.rows.map((x) => x.e);
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.stop()));
      await participant.consumer.close();
      await Promise.allSettled([...participant.pending]);
      await Promise.allSettled(relays.map((r) => r.stop()));
      await broker.close();
      await db.drop();
    },
  };
  return h;
}
