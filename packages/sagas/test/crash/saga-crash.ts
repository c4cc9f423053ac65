/**
 * The model-based crash test of sagas: fast-check generates batches of trips — per step what the
 * participant does (succeed, decline, stay silent, answer late, answer twice) and per
 * compensation (succeed, decline once, stay silent once, always decline) — and a list of
 * SIGKILLs of the saga's process at named points. Each batch runs against real PostgreSQL with
 * the postgres transport; the outcome of every trip is checked against a small reference model.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { migrate, type SqlClient } from '@outrig/db';
import { createEvent, inboxMigrations, outboxMigrations } from '@outrig/messaging';
import { createPostgresBroker } from '@outrig/messaging-postgres';
import { createTestDatabase } from '@outrig/testing';
import fc from 'fast-check';
import {
  commandId,
  instanceId,
  SAGA_STATUS_EDGES,
  type SagaStatus,
  sagaMigrations,
} from '../../src/index.ts';
import { TripBooked } from '../fixtures/trip-saga.ts';
import { type Behaviour, startParticipant } from '../support/participant.ts';
import { writeOutboxFor } from '../support/write-outbox.ts';

export type DoBehaviour = 'ok' | 'decline' | 'silent' | 'late' | 'duplicate';
export type UndoBehaviour = 'ok' | 'decline-once' | 'silent-once' | 'decline-always';
export const KILL_POINTS = [
  'after-inbox-insert',
  'before-commit',
  'after-commit-before-ack',
  'after-relay-publish',
] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

export interface TripPlan {
  readonly do: readonly DoBehaviour[];
  readonly undo: readonly UndoBehaviour[];
}
export interface Batch {
  readonly trips: readonly TripPlan[];
  readonly kills: readonly { point: KillPoint; nth: number }[];
}

/** Totals over the batches run. */
export interface CrashTotals {
  runs: number;
  completed: number;
  compensated: number;
  compensationFailed: number;
  stuck: number;
  duplicatedEffects: number;
  kills: number;
  problems: string[];
}

const STEPS = 3;

/** Batches of `trips` trips with up to `kills` SIGKILLs each. */
export function batchArbitrary(trips: number, kills: number): fc.Arbitrary<Batch> {
  const doB = fc.oneof(
    { weight: 6, arbitrary: fc.constant<DoBehaviour>('ok') },
    { weight: 1, arbitrary: fc.constantFrom<DoBehaviour>('decline', 'silent', 'late', 'duplicate') },
  );
  const undoB = fc.oneof(
    { weight: 6, arbitrary: fc.constant<UndoBehaviour>('ok') },
    { weight: 2, arbitrary: fc.constantFrom<UndoBehaviour>('decline-once', 'silent-once') },
    { weight: 1, arbitrary: fc.constant<UndoBehaviour>('decline-always') },
  );
  const trip = fc.record({
    do: fc.array(doB, { minLength: STEPS, maxLength: STEPS }),
    undo: fc.array(undoB, { minLength: STEPS, maxLength: STEPS }),
  });
  const kill = fc.record({ point: fc.constantFrom(...KILL_POINTS), nth: fc.integer({ min: 1, max: 25 }) });
  return fc.record({
    trips: fc.array(trip, { minLength: trips, maxLength: trips }),
    kills: fc.array(kill, { minLength: Math.max(1, Math.floor(kills / 2)), maxLength: kills }),
  });
}

/** The reference model: how a trip must end and which effects, in which order, it must leave. */
export function expectedOutcome(plan: TripPlan): { status: SagaStatus; effects: string[] } {
  const effects: string[] = [];
  const done: number[] = [];
  let compensate: number[] | undefined;
  for (let i = 0; i < STEPS && !compensate; i++) {
    const b = plan.do[i];
    if (b === 'ok' || b === 'duplicate') {
      effects.push(`do${i}`);
      done.push(i);
    } else if (b === 'decline') compensate = [...done].reverse();
    else {
      if (b === 'late') effects.push(`do${i}`);
      compensate = [i, ...[...done].reverse()];
    }
  }
  if (!compensate) return { status: 'completed', effects };
  for (const step of compensate) {
    if (plan.undo[step] === 'decline-always') return { status: 'compensation_failed', effects };
    effects.push(`undo${step}`);
  }
  return { status: 'compensated', effects };
}

/** Runs `batches` generated batches (seeded) and checks every trip against the model. */
export async function runSagaCrashTest(options: {
  seed: number;
  batches: number;
  trips: number;
  kills: number;
  log?: (line: string) => void;
  deadlineMs?: number;
}): Promise<CrashTotals> {
  const totals: CrashTotals = {
    runs: 0,
    completed: 0,
    compensated: 0,
    compensationFailed: 0,
    stuck: 0,
    duplicatedEffects: 0,
    kills: 0,
    problems: [],
  };
  let n = 0;
  await fc.assert(
    fc.asyncProperty(batchArbitrary(options.trips, options.kills), async (batch) => {
      n += 1;
      let problems: string[];
      try {
        problems = await runBatch(batch, `b${n}`, totals, options.deadlineMs ?? 90_000);
      } catch (error) {
        // A batch that could not run (its worker never started, the database went away): counted
        // as stuck trips and reported, and the next batch still runs.
        totals.runs += batch.trips.length;
        totals.stuck += batch.trips.length;
        problems = [`batch ${n} did not run: ${error instanceof Error ? error.message : String(error)}`];
      }
      options.log?.(
        `sagas batch ${n}: trips=${batch.trips.length} kill_plan=${batch.kills.length} problems=${problems.length}`,
      );
      for (const problem of problems.slice(0, 10)) options.log?.(`  ${problem}`);
      totals.problems.push(...problems);
      return true; // collected, reported by the caller (a failing property would shrink: batches are slow)
    }),
    { seed: options.seed, numRuns: options.batches, endOnFailure: true },
  );
  return totals;
}

async function runBatch(
  batch: Batch,
  tag: string,
  totals: CrashTotals,
  deadlineMs: number,
): Promise<string[]> {
  const db = await createTestDatabase(`saga_crash_${tag}`);
  const problems: string[] = [];
  const plans = new Map(batch.trips.map((plan, i) => [`${tag}-t${i}`, plan]));
  const broker = createPostgresBroker({
    url: db.url,
    leaseMs: 1500,
    pollIntervalMs: 50,
    cleanupIntervalMs: 0,
    retryDelayMs: 20,
  });
  let child: ChildProcess | undefined;
  let participant: Awaited<ReturnType<typeof startParticipant>> | undefined;
  try {
    await migrate(db.sql, [outboxMigrations, inboxMigrations, sagaMigrations]);
    participant = await startParticipant(db.sql, broker, (cmd): Behaviour => {
      const plan = plans.get(cmd.trip);
      if (!plan) return 'ok';
      if (cmd.phase === 'do') return plan.do[cmd.step] ?? 'ok';
      const first = cmd.event.id === commandId(instanceId('trip', cmd.trip), cmd.step, 'undo', 1);
      switch (plan.undo[cmd.step]) {
        case 'decline-always':
          return 'decline';
        case 'decline-once':
          return first ? 'decline' : 'ok';
        case 'silent-once':
          return first ? 'silent' : 'ok';
        default:
          return 'ok';
      }
    });
    const kills = [...batch.kills];
    const startChild = async () => {
      const kill = kills.shift();
      child = await spawnWorker(db.url, kill ? `${kill.point}:${kill.nth}` : '');
      const c = child;
      c.once('exit', (_code, signal) => {
        if (signal === 'SIGKILL') totals.kills += 1;
      });
    };
    await startChild();
    for (const trip of plans.keys()) {
      const event = createEvent(TripBooked, { subject: trip, data: {}, source: '/services/booking' });
      await db.sql.transaction((tx) => writeOutboxFor(tx, event));
    }
    // Trips are stuck when nothing moves for `deadlineMs` (a progress deadline: a loaded machine
    // slows a batch down, it does not stop it), or after five times that in all.
    const hardUntil = Date.now() + 5 * deadlineMs;
    let until = Date.now() + deadlineMs;
    let progress = '';
    for (;;) {
      if (child && (child.exitCode !== null || child.signalCode !== null)) await startChild();
      const states = await db.sql.query<{
        key: string;
        status: string;
        step: number;
        phase: string;
        attempt: number;
        awaiting: boolean;
        revision: number;
      }>(
        `SELECT saga_key AS key, status, (state->>'step')::int AS step, state->>'phase' AS phase,
                (state->>'attempt')::int AS attempt, (state->>'awaiting')::boolean AS awaiting,
                revision FROM saga_instance`,
      );
      const now = `${states.rowCount}/${states.rows.reduce((n, r) => n + r.revision, 0)}`;
      if (now !== progress) {
        progress = now;
        until = Math.min(hardUntil, Date.now() + deadlineMs);
      }
      const open = states.rows.filter(
        (s) => !['completed', 'compensated', 'compensation_failed'].includes(s.status),
      );
      if (states.rowCount === plans.size && open.length === 0) break;
      if (Date.now() > until) break;
      // Time passes for trips waiting on a silent (or late) participant: their step timer comes
      // due. Only the timer of that very attempt (its token): the state read above may be stale.
      const tokens: [string, string][] = [];
      for (const s of open) {
        const plan = plans.get(s.key);
        if (!plan) continue;
        for (let step = 0; step < STEPS; step++) {
          if (['silent', 'late'].includes(plan.do[step] ?? 'ok'))
            tokens.push([instanceId('trip', s.key), `reply:do:${step}:1`]);
          if (plan.undo[step] === 'silent-once')
            tokens.push([instanceId('trip', s.key), `reply:undo:${step}:1`]);
        }
      }
      if (tokens.length > 0) {
        await db.sql.query(
          `UPDATE saga_timer t SET due_at = clock_timestamp() FROM unnest($1::uuid[], $2::text[]) AS x(id, token)
           WHERE t.instance_id = x.id AND t.name = 'step' AND t.token = x.token AND t.due_at > clock_timestamp()`,
          [tokens.map((t) => t[0]), tokens.map((t) => t[1])],
        );
      }
      if (process.env.SAGA_CRASH_VERBOSE === '1')
        console.log(`open=${open.length} started=${states.rowCount}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await checkBatch(db.sql, plans, totals, problems);
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      const c = child;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    await participant?.consumer.close();
    await broker.close();
    await db.drop();
  }
  return problems;
}

async function checkBatch(
  sql: SqlClient,
  plans: Map<string, TripPlan>,
  totals: CrashTotals,
  problems: string[],
): Promise<void> {
  const instances = await sql.query<{ id: string; key: string; status: SagaStatus }>(
    'SELECT id::text AS id, saga_key AS key, status FROM saga_instance',
  );
  const byKey = new Map(instances.rows.map((r) => [r.key, r]));
  const effects = await sql.query<{ trip: string; e: string }>(
    'SELECT trip, phase || step AS e FROM participant_effect ORDER BY seq',
  );
  const history = await sql.query<{
    id: string;
    seq: number;
    kind: string;
    from_status: string | null;
    to_status: SagaStatus;
  }>(
    'SELECT instance_id::text AS id, seq, kind, from_status, to_status FROM saga_history ORDER BY instance_id, seq',
  );
  const timers = await sql.query<{ id: string }>(
    `SELECT t.instance_id::text AS id FROM saga_timer t JOIN saga_instance i ON i.id = t.instance_id
     WHERE i.status IN ('completed', 'compensated', 'compensation_failed')`,
  );
  const orphanTimers = new Set(timers.rows.map((t) => t.id));
  for (const [trip, plan] of plans) {
    totals.runs += 1;
    const want = expectedOutcome(plan);
    const inst = byKey.get(trip);
    const got = effects.rows.filter((r) => r.trip === trip).map((r) => r.e);
    const seen = new Map<string, number>();
    for (const e of got) seen.set(e, (seen.get(e) ?? 0) + 1);
    for (const count of seen.values()) totals.duplicatedEffects += count - 1;
    const where = `${trip} ${JSON.stringify(plan)}`;
    if (!inst || !['completed', 'compensated', 'compensation_failed'].includes(inst.status)) {
      totals.stuck += 1;
      problems.push(`${where}: stuck (${inst?.status ?? 'never started'})`);
      continue;
    }
    if (inst.status === 'completed') totals.completed += 1;
    if (inst.status === 'compensated') totals.compensated += 1;
    if (inst.status === 'compensation_failed') totals.compensationFailed += 1;
    if (inst.status !== want.status)
      problems.push(`${where}: ended ${inst.status}, the model says ${want.status}`);
    if (JSON.stringify(got) !== JSON.stringify(want.effects)) {
      problems.push(`${where}: effects ${got.join(',')} but the model says ${want.effects.join(',')}`);
    }
    if (orphanTimers.has(inst.id)) problems.push(`${where}: a timer is left on a finished instance`);
    const path = history.rows.filter((h) => h.id === inst.id);
    let from: string = 'null';
    path.forEach((h, i) => {
      if (h.seq !== i + 1) problems.push(`${where}: history seq ${h.seq} at position ${i + 1}`);
      if (String(h.from_status ?? 'null') !== from)
        problems.push(`${where}: history entry ${h.seq} starts from ${h.from_status}, not ${from}`);
      if (!SAGA_STATUS_EDGES[from as keyof typeof SAGA_STATUS_EDGES]?.includes(h.to_status)) {
        problems.push(`${where}: history ${from} → ${h.to_status} is not a valid step`);
      }
      from = h.to_status;
    });
    if (from !== inst.status)
      problems.push(`${where}: history ends in ${from}, the instance is ${inst.status}`);
  }
}

const WORKER = path.join(import.meta.dirname, 'saga-worker.ts');

async function spawnWorker(url: string, killAt: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, DB_URL: url, KILL_AT: killAt },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (d: Buffer) => stderr.push(String(d)));
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', () => resolve());
    child.once('exit', (code, signal) => {
      // Killed at a point reached during start-up (e.g. a relay publish of the backlog): fine.
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`saga worker exited (${code}) before ready: ${stderr.join('').slice(-2000)}`));
    });
  });
  return child;
}
