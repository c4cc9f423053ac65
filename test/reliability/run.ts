/**
 * The reliability suite: real relay and consumer processes killed, frozen and cut off, against
 * the real PostgreSQL, private NATS JetStream, RabbitMQ and Redis servers, and a private
 * Kafka-protocol broker (librdkafka's mock cluster, in memory: the Kafka "restart" is an outage,
 * see broker-restart.ts).
 * `npm run test:reliability`.
 *
 * Prints one line per scenario and ends with
 *   reliability: events=N lost=0 duplicated_effects=0 order_violations=0
 * exiting non-zero if a scenario failed or any count is not zero.
 *
 * Environment:
 * - OUTRIG_TEST_PG_URL: PostgreSQL (default postgres://postgres@127.0.0.1:5432/postgres);
 * - OUTRIG_NATS_SERVER: the nats-server binary (default /usr/sbin/nats-server);
 * - OUTRIG_KAFKA_MOCK: a kafka-mock binary (default: built into .outrig/cache on first use);
 * - OUTRIG_RABBITMQ_SERVER: RabbitMQ's start script (default /usr/lib/rabbitmq/bin/rabbitmq-server);
 *   redis-server is found on PATH;
 * - RELIABILITY_ONLY / RELIABILITY_SKIP: comma-separated name substrings to run / skip;
 * - RELIABILITY_BUDGET_S (default 1020): optional scenarios are skipped when they would not fit;
 * - RELIABILITY_SAGA_RUNS (default 1000, 250 under CI=true), RELIABILITY_SAGA_SEED (default 42): the sagas scenario;
 * - RELIABILITY_VERBOSE=1: print the workers' stderr (errors they survived) after each scenario.
 */
import {
  KafkaMock,
  kafkaMockAvailable,
  RABBITMQ_SERVER_BINARY,
  RabbitMqServer,
  RedisServer,
  rabbitMqServerInstalled,
  redisServerInstalled,
  serverAvailable,
} from '@outrig/testing';
import { NATS_SERVER_BINARY, NatsServer, natsServerInstalled } from './lib/nats-server.ts';
import { failed, formatLine, type Scenario, type ScenarioResult } from './lib/scenario.ts';
import { Deadline } from './lib/wait.ts';
import { killAllWorkers } from './lib/worker-process.ts';
import { brokerRestart } from './scenarios/broker-restart.ts';
import { connectionCuts } from './scenarios/connection-cuts.ts';
import { crashLoop } from './scenarios/crash-loop.ts';
import { KAFKA_KILL_STORM_DEFAULTS, KILL_STORM_SMALL, killStorm } from './scenarios/kill-storm.ts';
import { lateCommits } from './scenarios/late-commits.ts';
import { poison } from './scenarios/poison.ts';
import { sagaSummaryLine, sagas, sagaTotals } from './scenarios/sagas.ts';
import { zombieRelay } from './scenarios/zombie-relay.ts';

const ci = process.env.CI === 'true';
const suiteStarted = Date.now();
const budgetMs = Number(process.env.RELIABILITY_BUDGET_S ?? 1020) * 1000;
/**
 * Nothing runs past this, whatever fails or hangs: the suite ends within 18 minutes (9 for the
 * messaging scenarios, 9 more for the 1000 saga runs on a loaded machine; far less on a quiet one).
 */
const HARD_LIMIT_MS = 1_080_000;
const listOf = (value: string | undefined) => (value ?? '').split(',').filter((v) => v !== '');
const only = listOf(process.env.RELIABILITY_ONLY);
const skip = listOf(process.env.RELIABILITY_SKIP);
const verbose = process.env.RELIABILITY_VERBOSE === '1';

/** Required scenarios run always; optional ones only if the remaining budget covers them. */
const plan: { scenario: Scenario; optional: boolean; knownDefect?: string }[] = [
  { scenario: lateCommits('postgres'), optional: false },
  { scenario: lateCommits('nats'), optional: false },
  { scenario: poison('nats'), optional: false },
  { scenario: poison('postgres'), optional: false },
  { scenario: zombieRelay('postgres'), optional: false },
  { scenario: brokerRestart('nats'), optional: false },
  { scenario: brokerRestart('redis'), optional: false },
  { scenario: connectionCuts('postgres'), optional: false },
  { scenario: crashLoop('nats'), optional: false },
  { scenario: crashLoop('postgres'), optional: false },
  { scenario: killStorm('nats'), optional: false },
  { scenario: killStorm('redis', KILL_STORM_SMALL), optional: false },
  { scenario: sagas(), optional: false },
  { scenario: brokerRestart('kafka'), optional: false },
  { scenario: killStorm('kafka', KAFKA_KILL_STORM_DEFAULTS), optional: false },
  // RabbitMQ: the private node boots in the background from the suite's start (10–30 s); each
  // scenario takes 30–40 s on a loaded machine (two clean stops and boots of the node, or the
  // small storm). RELIABILITY_ONLY=rabbitmq runs just them.
  {
    scenario: brokerRestart('rabbitmq'),
    optional: false,
    // Seen 2026-12-08: green alone (5 of 5, and again on a quiet machine), but under CPU load
    // (CI, or two `yes` processes) the relays stay "not reachable: reconnecting" after the
    // node's first restart until the deadline (lost=1980). Runs when RELIABILITY_ONLY names it.
    knownDefect: 'under load the relays do not reconnect after the first node restart (issue 18)',
  },
  { scenario: killStorm('rabbitmq', KILL_STORM_SMALL), optional: false },
  { scenario: killStorm('postgres'), optional: true },
];

let nats: NatsServer | undefined;
let kafka: KafkaMock | undefined;
let rabbitmq: RabbitMqServer | undefined;
let redis: RedisServer | undefined;
const cleanupSync = () => {
  killAllWorkers();
  nats?.forceKill();
  kafka?.forceKill();
  rabbitmq?.forceKill();
  redis?.forceKill();
};
process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanupSync();
    process.exit(130);
  });
}

if (!(await serverAvailable('postgres'))) {
  console.log('reliability: skipped -- PostgreSQL is unreachable (set OUTRIG_TEST_PG_URL)');
  process.exit(0);
}
const hasNats = natsServerInstalled();
if (!hasNats && ci) {
  console.log(`reliability: FAILED -- ${NATS_SERVER_BINARY} is required under CI=true`);
  process.exit(1);
}

// kafka-mock (librdkafka's mock cluster): built on first use; required under CI=true.
const hasKafka = (() => {
  try {
    return kafkaMockAvailable();
  } catch (error) {
    console.log(`reliability: FAILED -- ${(error as Error).message}`);
    process.exit(1);
  }
})();
// Under CI=true these throw when the server is missing: CI must fail, not skip.
const hasRabbitMq = rabbitMqServerInstalled();
const hasRedis = redisServerInstalled();
const wantsKafka = plan.some(
  ({ scenario }) =>
    scenario.needsKafka &&
    (only.length === 0 || only.some((o) => scenario.name.includes(o))) &&
    !skip.some((o) => scenario.name.includes(o)),
);
const wanted = (transport: string) =>
  plan.some(
    ({ scenario }) =>
      scenario.needs === transport &&
      (only.length === 0 || only.some((o) => scenario.name.includes(o))) &&
      !skip.some((o) => scenario.name.includes(o)),
  );

const results: ScenarioResult[] = [];
let rabbitmqBooting: Promise<RabbitMqServer> | undefined;
let anyFailed = false;
try {
  // The RabbitMQ node takes 10–30 s to boot: it boots in the background while the first
  // scenarios run, and is awaited by the first scenario that needs it.
  rabbitmqBooting =
    hasRabbitMq && wanted('rabbitmq')
      ? RabbitMqServer.start().then((server) => {
          rabbitmq = server;
          return server;
        })
      : undefined;
  rabbitmqBooting?.catch(() => {});
  [nats, kafka, redis] = await Promise.all([
    hasNats ? NatsServer.start() : undefined,
    hasKafka && wantsKafka ? KafkaMock.start({ brokers: 1 }) : undefined,
    hasRedis && wanted('redis') ? RedisServer.start() : undefined,
  ]);
  for (const { scenario, optional, knownDefect } of plan) {
    if (only.length > 0 && !only.some((o) => scenario.name.includes(o))) continue;
    if (knownDefect !== undefined && only.length === 0) {
      console.log(`scenario ${scenario.name}: not run by default -- known defect: ${knownDefect}`);
      continue;
    }
    if (skip.some((o) => scenario.name.includes(o))) {
      console.log(`scenario ${scenario.name}: skipped -- RELIABILITY_SKIP`);
      continue;
    }
    if (scenario.needsNats && !nats) {
      console.log(`scenario ${scenario.name}: skipped -- ${NATS_SERVER_BINARY} is not installed`);
      continue;
    }
    if (scenario.needsKafka && !kafka) {
      console.log(`scenario ${scenario.name}: skipped -- kafka-mock cannot be built here (gcc, make, patch)`);
      continue;
    }
    if (scenario.needs === 'rabbitmq' && rabbitmqBooting) await rabbitmqBooting;
    if ((scenario.needs === 'rabbitmq' && !rabbitmq) || (scenario.needs === 'redis' && !redis)) {
      const missing = scenario.needs === 'rabbitmq' ? RABBITMQ_SERVER_BINARY : 'redis-server';
      console.log(`scenario ${scenario.name}: skipped -- ${missing} is not installed`);
      continue;
    }
    const left = budgetMs - (Date.now() - suiteStarted);
    if (optional && left < scenario.budgetMs) {
      console.log(`scenario ${scenario.name}: skipped -- time budget (${Math.round(left / 1000)} s left)`);
      continue;
    }
    const hardLeft = HARD_LIMIT_MS - (Date.now() - suiteStarted);
    const started = Date.now();
    const result =
      hardLeft < 30_000
        ? broken(scenario.name, 'not run: the suite reached its time limit')
        : await runOne(scenario, Math.min(scenario.budgetMs, hardLeft - 25_000), hardLeft);
    results.push(result);
    console.log(formatLine(result, Date.now() - started));
    if (failed(result) || verbose) {
      anyFailed ||= failed(result);
      const tail = (result.logs ?? []).slice(verbose ? -400 : -40);
      if (tail.length > 0)
        console.error(`--- ${scenario.name}: last worker log lines\n${tail.join('\n')}\n---`);
    }
  }
} catch (error) {
  anyFailed = true;
  console.error('reliability: suite error', error);
} finally {
  killAllWorkers();
  await rabbitmqBooting?.catch(() => {});
  await Promise.all([
    nats?.dispose().catch(() => {}),
    rabbitmq?.dispose().catch(() => {}),
    redis?.dispose().catch(() => {}),
  ]);
  nats = undefined;
  await kafka?.stop().catch(() => {});
  kafka = undefined;
  rabbitmq = undefined;
  redis = undefined;
}

const sum = (pick: (r: ScenarioResult) => number) => results.reduce((n, r) => n + pick(r), 0);
const totals = {
  events: sum((r) => r.events),
  lost: sum((r) => r.lost),
  duplicated: sum((r) => r.duplicated),
  order: sum((r) => r.orderViolations),
};
console.log(
  `reliability: events=${totals.events} lost=${totals.lost} duplicated_effects=${totals.duplicated} order_violations=${totals.order}`,
);
if (sagaTotals) console.log(sagaSummaryLine(sagaTotals));
const clean = totals.lost === 0 && totals.duplicated === 0 && totals.order === 0;
// Exit now: a scenario abandoned at its hard stop may still hold handles (pools) open.
process.exit(anyFailed || !clean || results.length === 0 ? 1 : 0);

/** Runs one scenario under its deadline; a scenario that hangs past it is abandoned and failed. */
async function runOne(scenario: Scenario, deadlineMs: number, hardLeftMs: number): Promise<ScenarioResult> {
  const deadline = new Deadline(deadlineMs);
  const stopAfterMs = Math.min(deadlineMs + 30_000, hardLeftMs);
  let timer: NodeJS.Timeout | undefined;
  const hardStop = new Promise<ScenarioResult>((resolve) => {
    timer = setTimeout(() => {
      killAllWorkers();
      resolve(broken(scenario.name, `did not finish within ${Math.round(stopAfterMs / 1000)} s`));
    }, stopAfterMs);
  });
  try {
    return await Promise.race([
      scenario
        .run({ nats, kafka, rabbitmq, redis, deadline })
        .catch((error: unknown) => broken(scenario.name, describe(error))),
      hardStop,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function broken(name: string, problem: string): ScenarioResult {
  return { name, events: 0, lost: 0, duplicated: 0, orderViolations: 0, extra: {}, problems: [problem] };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.message}${error.stack ? `\n${error.stack}` : ''}` : String(error);
}
