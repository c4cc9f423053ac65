// Messaging benchmark: what the transactional outbox costs the producer, and what the whole
// pipeline (outbox → relay → broker → consumer with inbox) sustains, per transport, against the
// real PostgreSQL, NATS, RabbitMQ, Redis and a Kafka-protocol broker (librdkafka's mock cluster,
// in memory: its figures compare the adapter's overhead, they are not a Kafka cluster's). Fresh
// databases, streams and mock clusters, dropped at the end.
// Usage: npm run bench:outbox -- [--duration 5] [--warmup 3] [--rounds 3] [--transports postgres,nats,kafka,rabbitmq,redis]
//          [--rate 1000] [--clients 8] [--layouts split,single] [--diagnose auto|always|never]
//          [--nats-partitions 16]
// (--connections and --logs are accepted, for `npm run bench`, and ignored.)
import { loadavg } from 'node:os';
import { createTestDatabase, kafkaMockAvailable, serverAvailable } from '@outrig/testing';
import { parseLoadArgs } from './lib/args.ts';
import { machineLine } from './lib/machine.ts';
import { median, printJsonLine, printTable, round } from './lib/report.ts';
import { setupProducerDb } from './outbox/bench-schema.ts';
import { explainStatement, RAW_TX, rawWriteVariant, walPerTransaction } from './outbox/diagnostics.ts';
import { type Layout, type PipelineResult, runPipeline } from './outbox/pipeline.ts';
import type { Transport } from './outbox/pipeline-protocol.ts';
import {
  BASELINE,
  DIAGNOSTIC_VARIANTS,
  measureProducerVariants,
  type ProducerVariant,
  type VariantRound,
  WITH_OUTBOX,
  WITHOUT_OUTBOX,
} from './outbox/producer-overhead.ts';
import { cpuUsPerEvent, printPipelineDetails, statementsTable } from './outbox/report-details.ts';

const TARGETS = { ratio: 0.25, producerRatio: 0.8, p99Ms: 20 };
/** Bounded phase: producers stay at most this many events ahead of the consumer. */
const MAX_BACKLOG = 2000;

const args = parseLoadArgs(process.argv.slice(2), [
  'transports',
  'rate',
  'clients',
  'layouts',
  'diagnose',
  'nats-partitions',
]);
const list = (raw: string | undefined, fallback: string, allowed: readonly string[], name: string) => {
  const items = (raw ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) if (!allowed.includes(item)) throw new Error(`--${name}: unknown ${item}`);
  return items;
};
const transports = list(
  args.extra.transports,
  'postgres,nats,kafka,rabbitmq,redis',
  ['postgres', 'nats', 'kafka', 'rabbitmq', 'redis'],
  'transports',
) as Transport[];
const layouts = list(args.extra.layouts, 'split,single', ['split', 'single'], 'layouts') as Layout[];
const rate = Number(args.extra.rate ?? 1000);
const clients = Number(args.extra.clients ?? 8);
const diagnose = args.extra.diagnose ?? 'auto';
const natsPartitions = Number(args.extra['nats-partitions'] ?? 16);
if (!(rate > 0)) throw new Error('--rate must be > 0');
if (!Number.isInteger(natsPartitions) || natsPartitions < 1) throw new Error('--nats-partitions must be ≥ 1');
if (!Number.isInteger(clients) || clients < 1) throw new Error('--clients must be a positive integer');
if (!['auto', 'always', 'never'].includes(diagnose))
  throw new Error('--diagnose must be auto, always or never');

console.log(`# outbox bench — ${machineLine()}`);
console.log(
  `# ${clients} clients; producer overhead: ${args.rounds} alternating rounds × ${args.duration} s ` +
    `(after a ${Math.min(args.warmup, 2)} s warm-up round each); end to end: ${args.warmup} s warm-up + ${args.duration} s window per phase, ` +
    `latency at ${rate} events/s offered; transports ${transports.join(', ')}; layouts ${layouts.join(', ')}` +
    (natsPartitions === 16 ? '' : `; NATS partitions ${natsPartitions}`),
);
if (!(await serverAvailable('postgres'))) {
  console.log('# skipped: PostgreSQL unreachable');
  process.exit(0);
}

// --- (a) baseline and (b) producer overhead, alternating rounds ---------------------------------

let outboxWrite: { text: string; params: readonly unknown[] } | undefined;
const capture = (label: string, text: string, params: readonly unknown[] | undefined) => {
  if (label === 'outbox write' && outboxWrite === undefined) outboxWrite = { text, params: params ?? [] };
};

async function producerRounds(
  variants: readonly ProducerVariant[],
  rounds = args.rounds,
): Promise<VariantRound[]> {
  const db = await createTestDatabase('bench_outbox_overhead');
  try {
    await setupProducerDb(db.sql);
    return await measureProducerVariants(
      db.url,
      variants,
      { clients, seconds: args.duration, rounds, warmupSeconds: Math.min(args.warmup, 2) },
      capture,
    );
  } finally {
    await db.drop();
  }
}

const medianOf = (rounds: VariantRound[], name: string, pick: (r: VariantRound) => number) =>
  median(rounds.filter((r) => r.variant === name).map(pick));

function producerTable(rounds: VariantRound[], variants: readonly ProducerVariant[], against: string) {
  const med = (name: string, pick: (r: VariantRound) => number, digits = 0) =>
    round(medianOf(rounds, name, pick), digits);
  const ref = medianOf(rounds, against, (r) => r.result.perSecond);
  printTable(
    [
      'variant',
      'commits/s',
      `÷ ${against}`,
      'p50 ms',
      'p99 ms',
      'round trips',
      'client CPU µs',
      'db CPU µs',
      'each round',
      'what',
    ],
    variants.map((v) => [
      v.name,
      med(v.name, (r) => r.result.perSecond),
      round(medianOf(rounds, v.name, (r) => r.result.perSecond) / ref, 2),
      med(v.name, (r) => r.result.p50, 2),
      med(v.name, (r) => r.result.p99, 2),
      med(v.name, (r) => r.statementsPerTx, 2),
      med(v.name, (r) => r.clientCpuUs),
      med(v.name, (r) => r.dbCpuUs),
      rounds
        .filter((r) => r.variant === v.name)
        .map((r) => round(r.result.perSecond))
        .join(' / '),
      v.description,
    ]),
  );
  console.log(
    'commits/s, p50/p99 and CPU per transaction: medians over rounds; CPU µs per transaction of this ' +
      'process (client) and of the database backends serving it (db).',
  );
}

const loadBefore = loadavg()[0] ?? 0;
const mainVariants = [BASELINE, WITHOUT_OUTBOX, WITH_OUTBOX];
const producer = await producerRounds(mainVariants);
const baselineCommits = medianOf(producer, 'baseline', (r) => r.result.perSecond);
// CPU of one baseline commit (client + database backends): the unit CPU per event compares with.
const baselineCpuUs = medianOf(producer, 'baseline', (r) => r.clientCpuUs + r.dbCpuUs);
const producerRatio =
  medianOf(producer, 'uow', (r) => r.result.perSecond) / medianOf(producer, 'tx', (r) => r.result.perSecond);
console.log(
  `\n## (a) baseline and (b) producer overhead — load average ${loadBefore.toFixed(2)} → ${loadavg()[0]?.toFixed(2)}`,
);
producerTable(producer, mainVariants, 'tx');
console.log('\nstatements of one unit of work (uow), client-side round-trip time:');
statementsTable(
  producer.filter((r) => r.variant === 'uow').at(-1)?.statements ?? [],
  'per tx',
  (n) =>
    n /
    (producer
      .filter((r) => r.variant === 'uow')
      .at(-1)
      ?.statements.find((s) => s.label === 'BEGIN')?.count ?? 1),
);

if (diagnose === 'always' || (diagnose === 'auto' && producerRatio < TARGETS.producerRatio)) {
  console.log(
    `\n## (b) diagnosis: producer_ratio ${round(producerRatio, 2)}` +
      `${producerRatio < TARGETS.producerRatio ? ` < ${TARGETS.producerRatio}` : ''} — load average ${loadavg()[0]?.toFixed(2)}`,
  );
  const raw = outboxWrite
    ? [
        RAW_TX,
        ...(['unnamed', 'prepared', 'folded'] as const).map((m) => rawWriteVariant(outboxWrite!.text, m)),
      ]
    : [];
  const diagVariants = [WITHOUT_OUTBOX, WITH_OUTBOX, ...DIAGNOSTIC_VARIANTS, ...raw];
  const diag = await producerRounds(diagVariants, Math.min(args.rounds, 2));
  producerTable(diag, diagVariants, 'tx');
  const db = await createTestDatabase('bench_outbox_diag');
  try {
    await setupProducerDb(db.sql);
    const wal = await walPerTransaction(db.url, [BASELINE, WITHOUT_OUTBOX, WITH_OUTBOX]);
    console.log(
      `\nWAL per transaction (sequential, min of 3): ${Object.entries(wal)
        .map(([k, v]) => `${k} ${round(v)} B`)
        .join(', ')}`,
    );
    if (outboxWrite) {
      const e = await explainStatement(db.url, outboxWrite.text, outboxWrite.params);
      console.log(
        `outbox write, EXPLAIN ANALYZE (median of 20, rolled back): planning ${round(e.planningMs, 3)} ms, ` +
          `execution ${round(e.executionMs, 3)} ms (of which NOTIFY trigger ${round(e.triggerMs, 3)} ms)`,
      );
    }
  } finally {
    await db.drop();
  }
}

// --- (c) end to end ---------------------------------------------------------------------------

const results: PipelineResult[] = [];
for (const transport of transports) {
  if (transport !== 'postgres' && transport !== 'kafka' && !(await serverAvailable(transport))) {
    console.log(`# ${transport}: skipped, server unreachable`);
    continue;
  }
  if (transport === 'kafka' && !kafkaMockAvailable()) {
    console.log('# kafka: skipped, kafka-mock cannot be built (gcc, make, patch)');
    continue;
  }
  for (const layout of layouts) {
    console.log(`# running ${transport} / ${layout} (load average ${loadavg()[0]?.toFixed(2)}) …`);
    results.push(
      await runPipeline({
        transport,
        layout,
        clients,
        rate,
        warmupSeconds: args.warmup,
        seconds: args.duration,
        maxBacklog: MAX_BACKLOG,
        natsPartitions,
      }),
    );
  }
}

console.log('\n## (c) end to end: outbox → relay → broker → consumer (inbox + side-effect row)');
printTable(
  [
    'transport',
    'layout',
    'events/s',
    'produced/s',
    'ratio',
    'p50 ms',
    'p99 ms',
    'max ms',
    `commits/s at ${rate} offered`,
    'lost',
    'side effects = events',
    'load',
  ],
  results.map((r) => [
    r.transport,
    r.layout,
    round(r.sustained.handledPerS),
    round(r.sustained.producedPerS),
    round(r.sustained.handledPerS / baselineCommits, 3),
    round(r.latency.p50, 1),
    round(r.latency.p99, 1),
    round(r.latency.max, 1),
    round(r.latency.producedPerS),
    r.latency.missing + r.sustained.missing,
    r.sideEffects === r.uniqueHandled ? 'yes' : `NO (${r.sideEffects} vs ${r.uniqueHandled})`,
    `${r.latency.load.toFixed(1)} / ${r.sustained.load.toFixed(1)}`,
  ]),
);
console.log(
  '\nevents/s: handled per second in the bounded phase (producers flat out, at most ' +
    `${MAX_BACKLOG} events ahead of the consumer); p50/p99/max: commit → handler in the paced phase; ` +
    'load: 1-min load average at the end of each phase.',
);
for (const r of results) printPipelineDetails(r);

console.log(
  `\nbaseline ${round(baselineCommits)} commits/s; targets: ratio ≥ ${TARGETS.ratio}, producer_ratio ≥ ` +
    `${TARGETS.producerRatio}, p99 ≤ ${TARGETS.p99Ms} ms at ${rate} events/s; load average now ${loadavg()[0]?.toFixed(2)}`,
);
for (const transport of transports) {
  const r =
    results.find((x) => x.transport === transport && x.layout === 'split') ??
    results.find((x) => x.transport === transport);
  if (!r) continue;
  const missed = [
    r.sustained.handledPerS / baselineCommits < TARGETS.ratio ? 'ratio' : '',
    producerRatio < TARGETS.producerRatio ? 'producer_ratio' : '',
    !(r.latency.p99 <= TARGETS.p99Ms) ? 'p99' : '',
    r.latency.producedPerS < rate * 0.95
      ? `offered load (${round(r.latency.producedPerS)} of ${rate}/s committed)`
      : '',
  ].filter(Boolean);
  console.log(
    `${transport} (${r.layout}): ${missed.length ? `missed ${missed.join(', ')}` : 'all targets met'}`,
  );
}
for (const transport of transports) {
  const r =
    results.find((x) => x.transport === transport && x.layout === 'split') ??
    results.find((x) => x.transport === transport);
  if (!r) continue;
  printJsonLine({
    bench: 'outbox',
    transport,
    baseline_commits_per_s: round(baselineCommits),
    producer_ratio: round(producerRatio, 3),
    events_per_s: round(r.sustained.handledPerS),
    ratio: round(r.sustained.handledPerS / baselineCommits, 3),
    p50_ms: round(r.latency.p50, 2),
    p99_ms: round(r.latency.p99, 2),
    // CPU per handled event over every process of the pipeline (bounded phase), and per
    // baseline commit: steadier than rates on a shared machine.
    cpu_us_per_event: round(cpuUsPerEvent(r.sustained)),
    baseline_cpu_us_per_commit: round(baselineCpuUs),
  });
}
