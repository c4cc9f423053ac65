// Saga benchmark: 3-step sagas (every participant succeeds) end to end on the postgres transport
// — start event through the outbox and relay, four saga transitions (each one transaction:
// inbox, instance under lock, history, outbox commands, timers), a participant that answers each
// command in its own inbox/outbox transaction — against the real PostgreSQL, in one process.
// The baseline is the same machine's rate of single-row transactions, measured in the same run.
// Usage: npm run bench:saga -- [--duration 5] [--warmup 3] [--concurrency 32]
// (--rounds, --connections and --logs are accepted, for `npm run bench`, and ignored.)
import { loadavg } from 'node:os';
import { createPgClient, migrate, type SqlClient } from '@outrig/db';
import {
  createConsumer,
  createEvent,
  createOutbox,
  createOutboxRelay,
  defineEvent,
  inboxMigrations,
  outboxMigrations,
} from '@outrig/messaging';
import { createPostgresBroker } from '@outrig/messaging-postgres';
import { createSagaRuntime, defineSaga, instanceId, replyTo, sagaMigrations } from '@outrig/sagas';
import { createTestDatabase, serverAvailable } from '@outrig/testing';
import { Type } from 'typebox';
import { parseLoadArgs } from './lib/args.ts';
import { machineLine } from './lib/machine.ts';
import { printJsonLine, round } from './lib/report.ts';

const args = parseLoadArgs(process.argv.slice(2), ['concurrency']);
const concurrency = Number(args.extra.concurrency ?? 32);
if (!(await serverAvailable('postgres'))) {
  console.log('bench:saga skipped -- PostgreSQL is unreachable');
  process.exit(process.env.CI === 'true' ? 1 : 0);
}

const Booked = defineEvent({ type: 'journey.booked', aggregateType: 'journey', schema: Type.Object({}) });
const Cmd = Type.Object({ step: Type.Integer() });
const Do = defineEvent({ type: 'leg.do', aggregateType: 'leg', topic: 'leg.commands', schema: Cmd });
const Done = defineEvent({ type: 'leg.done', aggregateType: 'leg', topic: 'leg.replies', schema: Cmd });
const Undo = defineEvent({ type: 'leg.undo', aggregateType: 'leg', topic: 'leg.commands', schema: Cmd });
const Undone = defineEvent({ type: 'leg.undone', aggregateType: 'leg', topic: 'leg.replies', schema: Cmd });
const Journey = defineSaga<Record<string, never>>({
  name: 'journey',
  version: 1,
  startedBy: { event: Booked, data: () => ({}) },
  steps: [0, 1, 2].map((step) => ({
    name: `leg${step}`,
    command: () => ({ definition: Do, data: { step } }),
    ok: [Done],
    compensation: { command: () => ({ definition: Undo, data: { step } }), ok: [Undone] },
  })),
});

const db = await createTestDatabase('bench_saga');
const sql: SqlClient = createPgClient({ url: db.url, max: 16 });
try {
  await migrate(sql, [outboxMigrations, inboxMigrations, sagaMigrations]);
  console.log(machineLine());

  // Baseline: single-row transactions from `concurrency` clients.
  await sql.query('CREATE TABLE bench_commit (id bigserial PRIMARY KEY, v int NOT NULL)');
  const baseline = await measure(args.duration, concurrency, () =>
    sql.transaction(async (tx) => {
      await tx.query('INSERT INTO bench_commit (v) VALUES (1)');
    }),
  );
  const baselineCommitsPerS = baseline / args.duration;

  const broker = createPostgresBroker({ url: db.url, pollIntervalMs: 50, cleanupIntervalMs: 0 });
  const relay = createOutboxRelay({ sql, broker, pollIntervalMs: 20, batchSize: 200 });
  const outbox = createOutbox({ source: '/services/bench' });
  const participant = createConsumer({ sql, broker, group: 'legs' });
  await participant.subscribe('leg.commands', async (cmd, { tx }) => {
    const reply = cmd.type === 'leg.do' ? Done : Undone;
    await outbox.unitOfWork(tx, async (uow) => {
      uow.publish(reply, {
        subject: String(cmd.subject),
        data: cmd.data as { step: number },
        ...replyTo(cmd),
      });
    });
  });
  const sagas = createSagaRuntime({ sql, broker, source: '/services/bench', sagas: [Journey] });
  const booked = new Map<string, { t0: number; resolve: () => void }>();
  const latencies: number[] = [];
  let transitions = 0;
  let measuring = false;
  sagas.observe((r) => {
    if (measuring) transitions += 1;
    if (r.to !== 'completed' || r.from === 'completed') return;
    const waiting = booked.get(r.instanceId);
    if (!waiting) return;
    booked.delete(r.instanceId);
    // Observed inside the transition's transaction: the commit follows within a millisecond.
    if (measuring) latencies.push(performance.now() - waiting.t0);
    waiting.resolve();
  });
  await relay.start();
  await sagas.start();

  // Keep `concurrency` sagas in flight; each completion lets the next one start.
  let n = 0;
  /** Books one journey; resolves when its saga completed. */
  const oneSaga = async () => {
    const key = `j${n++}`;
    const finished = new Promise<void>((resolve) => {
      booked.set(instanceId('journey', key), { t0: performance.now(), resolve });
    });
    await outbox.unitOfWork(sql, async (uow) => {
      uow.add(createEvent(Booked, { subject: key, data: {}, source: '/services/bench' }));
    });
    await finished;
  };
  const run = async (seconds: number) => {
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) await oneSaga();
      }),
    );
  };
  await run(args.warmup);
  measuring = true;
  latencies.length = 0;
  const t0 = performance.now();
  await run(args.duration);
  const elapsed = (performance.now() - t0) / 1000;
  measuring = false;
  await sagas.stop();
  await participant.close();
  await relay.stop();
  await broker.close();

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; ${latencies.length} sagas in ${elapsed.toFixed(1)} s`,
  );
  printJsonLine({
    bench: 'saga',
    sagas_per_s: round(latencies.length / elapsed, 1),
    p50_ms: round(pct(0.5), 1),
    p99_ms: round(pct(0.99), 1),
    transitions_per_s: round(transitions / elapsed, 1),
    baseline_commits_per_s: round(baselineCommitsPerS, 0),
    ratio: round(transitions / elapsed / baselineCommitsPerS, 3),
    concurrency,
  });
} finally {
  await sql.close();
  await db.drop();
}

/** Runs `op` from `clients` loops for `seconds`; resolves the operations completed. */
async function measure(seconds: number, clients: number, op: () => Promise<unknown>): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let count = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        await op();
        count += 1;
      }
    }),
  );
  return count;
}
