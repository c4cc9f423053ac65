/** What a scenario returns, and its one output line. */
import type { KafkaMock, RabbitMqServer, RedisServer } from '@outrig/testing';
import type { NatsServer } from './nats-server.ts';
import type { Tally } from './tally.ts';
import type { Deadline } from './wait.ts';

export interface ScenarioContext {
  /** The private nats-server (nats scenarios only). */
  readonly nats: NatsServer | undefined;
  /** The run's kafka-mock (kafka scenarios only). */
  readonly kafka?: KafkaMock | undefined;
  /** The private RabbitMQ node (rabbitmq scenarios only). */
  readonly rabbitmq?: RabbitMqServer | undefined;
  /** The private redis-server (redis scenarios only). */
  readonly redis?: RedisServer | undefined;
  readonly deadline: Deadline;
}

export interface ScenarioResult {
  readonly name: string;
  /** Events committed in the scenario (outbox rows). */
  readonly events: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly orderViolations: number;
  /** Scenario-specific figures, printed after the standard ones. */
  readonly extra: Readonly<Record<string, string | number>>;
  /** Why the scenario failed besides non-zero counts (empty = ok). */
  readonly problems: readonly string[];
  /** Worker stderr to show when it failed. */
  readonly logs?: readonly string[];
}

export interface Scenario {
  readonly name: string;
  /** Time the scenario may take (its deadline); the runner kills it 30 s after. */
  readonly budgetMs: number;
  readonly needsNats: boolean;
  /** Needs the kafka-mock (librdkafka's mock cluster). */
  readonly needsKafka?: boolean;
  /** The private server of another transport the scenario needs. */
  readonly needs?: 'rabbitmq' | 'redis';
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

export function failed(result: ScenarioResult): boolean {
  return (
    result.problems.length > 0 || result.lost !== 0 || result.duplicated !== 0 || result.orderViolations !== 0
  );
}

export function formatLine(result: ScenarioResult, elapsedMs: number): string {
  const fields = [
    `events=${result.events}`,
    `lost=${result.lost}`,
    `duplicated_effects=${result.duplicated}`,
    `order_violations=${result.orderViolations}`,
    ...Object.entries(result.extra).map(([k, v]) => `${k}=${v}`),
    `time=${(elapsedMs / 1000).toFixed(1)}s`,
  ];
  const status = failed(result) ? 'FAILED' : 'ok';
  const why = result.problems.length > 0 ? ` -- ${result.problems.join('; ')}` : '';
  return `scenario ${result.name}: ${status} ${fields.join(' ')}${why}`;
}

/** A result from a tally plus scenario figures and checks. */
export function resultOf(
  name: string,
  t: Tally,
  extra: Record<string, string | number>,
  problems: string[],
  logs: readonly string[],
): ScenarioResult {
  if (t.unexpected > 0) problems.push(`${t.unexpected} effects of events that must not be handled`);
  return {
    name,
    events: t.written,
    lost: t.lost,
    duplicated: t.duplicated,
    orderViolations: t.orderViolations,
    extra,
    problems,
    logs,
  };
}
