/**
 * Sagas: the model-based crash test of @outrig/sagas at scale — RELIABILITY_SAGA_RUNS trips
 * (default 1000; 250 under CI=true) in batches of 250, each batch with up to 6 SIGKILLs of the saga's process at
 * named points (after the inbox insert, before commit, after commit before ack, after a relay
 * publish), every trip checked against the reference model (packages/sagas/test/crash).
 */
import { type CrashTotals, runSagaCrashTest } from '../../../packages/sagas/test/crash/saga-crash.ts';
import type { Scenario, ScenarioResult } from '../lib/scenario.ts';

const TRIPS_PER_BATCH = 250;

/** The totals of the last run, for the suite's `sagas:` line. */
export let sagaTotals: CrashTotals | undefined;

export function sagas(): Scenario {
  // CI runs one bounded batch (the 1000-trip run is `npm run test:reliability` without CI).
  const runs = Number(process.env.RELIABILITY_SAGA_RUNS ?? (process.env.CI === 'true' ? 250 : 1000));
  return {
    name: 'sagas[postgres]',
    budgetMs: 540_000,
    needsNats: false,
    async run(): Promise<ScenarioResult> {
      const totals = await runSagaCrashTest({
        seed: Number(process.env.RELIABILITY_SAGA_SEED ?? 42),
        batches: Math.max(1, Math.ceil(runs / TRIPS_PER_BATCH)),
        trips: Math.min(TRIPS_PER_BATCH, runs),
        kills: 6,
        deadlineMs: 90_000,
        ...(process.env.RELIABILITY_VERBOSE === '1' ? { log: (line: string) => console.log(line) } : {}),
      });
      sagaTotals = totals;
      return {
        name: 'sagas[postgres]',
        events: totals.runs,
        lost: totals.stuck,
        duplicated: totals.duplicatedEffects,
        orderViolations: 0,
        extra: {
          completed: totals.completed,
          compensated: totals.compensated,
          compensation_failed: totals.compensationFailed,
          kills: totals.kills,
        },
        problems: totals.problems.slice(0, 20),
      };
    },
  };
}

/** `sagas: runs=N completed=N compensated=N stuck=0 duplicated_effects=0`. */
export function sagaSummaryLine(t: CrashTotals): string {
  return `sagas: runs=${t.runs} completed=${t.completed} compensated=${t.compensated} stuck=${t.stuck} duplicated_effects=${t.duplicatedEffects}`;
}
