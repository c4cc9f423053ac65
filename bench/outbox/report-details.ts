import { printTable, round } from '../lib/report.ts';
import type { StatementCount } from './counting-pool.ts';
import type { PhaseResult } from './phase-summary.ts';
import type { PipelineResult } from './pipeline.ts';
import type { RoleReport } from './pipeline-protocol.ts';

/** Prints statement counts with a per-unit column (`per(count)`) and client-side mean/max ms. */
export function statementsTable(
  statements: readonly StatementCount[],
  unit: string,
  per: (count: number) => number,
): void {
  if (statements.length === 0) return;
  printTable(
    ['statement', 'count', unit, 'mean ms', 'max ms'],
    statements.map((s) => [
      s.label,
      s.count,
      round(per(s.count), 3),
      round(s.totalMs / s.count, 2),
      round(s.maxMs, 1),
    ]),
  );
}

/** CPU µs per handled event over every process sampled in the phase (roles, database, broker). */
export function cpuUsPerEvent(phase: PhaseResult): number {
  const total = Object.values(phase.cpu).reduce((a, b) => a + b, 0);
  return ((total / 100) * 1e6) / Math.max(1, phase.handledPerS);
}

/** What each role did per event in one phase: statements, time in them, CPU. */
function phaseDetails(name: string, phase: PhaseResult): void {
  // CPU per event: the steadier figure on a shared machine (µs of CPU per handled event).
  const perEvent = (percent: number) => ((percent / 100) * 1e6) / Math.max(1, phase.handledPerS);
  const cpu = Object.entries(phase.cpu)
    .map(([k, v]) => `${k} ${round(v)} % (${round(perEvent(v))} µs/event)`)
    .join(', ');
  const total = Object.values(phase.cpu).reduce((a, b) => a + b, 0);
  console.log(
    `\n### ${name}: ${round(phase.producedPerS)} commits/s, ${round(phase.handledPerS)} handled/s; ` +
      `load ${phase.load.toFixed(2)}; machine busy ${round(phase.machineBusyPercent)} % of 2 cores`,
  );
  console.log(`CPU (100 % = one core): ${cpu}; total ${round(perEvent(total))} µs/event`);
  const st = phase.stages;
  const fmt = (x: { p50: number; p99: number }) => `${round(x.p50, 1)} / ${round(x.p99, 1)} ms`;
  console.log(
    `latency p50 / p99: commit → relay publish call ${fmt(st.pickup)}; publish call ${fmt(st.publish)}; ` +
      `publish done → handler ${fmt(st.delivery)}; total ${fmt(phase)}`,
  );
  const byRole = (role: RoleReport['role']) => phase.reports.find((r) => r.role === role);
  const relay = byRole('relay');
  const consumer = byRole('consumer');
  const producer = byRole('producer');
  const published = Number(relay?.extra.published ?? 0);
  const batches = Number(relay?.extra.batches ?? 0);
  const handled = Number(consumer?.extra.handled ?? 0);
  const commits = producer?.statements.find((s) => s.label === 'COMMIT')?.count ?? 0;
  console.log(
    `relay: ${published} published in ${batches} batches (${round(published / Math.max(1, batches), 1)} events/batch); ` +
      `consumer: ${handled} handled, handler mean ${round(Number(consumer?.extra.handlerMsAvg ?? Number.NaN), 2)} ms ` +
      `(inbox insert + side effect + commit), ${consumer?.extra.duplicates ?? 0} duplicates skipped`,
  );
  const rows: (string | number)[][] = [];
  const add = (role: string, list: readonly StatementCount[] | undefined, unit: number, unitName: string) => {
    for (const s of list ?? []) {
      rows.push([
        role,
        s.label,
        s.count,
        `${round(s.count / Math.max(1, unit), 3)} ${unitName}`,
        round(s.totalMs / s.count, 2),
        round(s.maxMs, 1),
      ]);
    }
  };
  add('producer', producer?.statements, commits, '/commit');
  add('relay', relay?.statements, published, '/event');
  add('relay → bus', relay?.busStatements, published, '/event');
  add('consumer', consumer?.statements, handled, '/event');
  add('consumer ← bus', consumer?.busStatements, handled, '/event');
  if (rows.length > 0) printTable(['role', 'statement', 'count', 'per unit', 'mean ms', 'max ms'], rows);
}

/** The per-role breakdown of one end-to-end run (both phases). */
export function printPipelineDetails(r: PipelineResult): void {
  console.log(`\n## ${r.transport} / ${r.layout}: details`);
  phaseDetails('paced phase (latency)', r.latency);
  phaseDetails('bounded phase (throughput)', r.sustained);
}
