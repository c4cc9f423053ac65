import { readdirSync, readFileSync } from 'node:fs';
import { cpuMs } from '../lib/proc-stats.ts';

/** Busy and total CPU time of the whole machine so far, in ms (all cores), from `/proc/stat`. */
export function machineCpu(): { busyMs: number; totalMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busyMs: (total - idle) * 10, totalMs: total * 10 };
}

/** Pids of processes whose command name is `name` (e.g. `nats-server`). */
export function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/** CPU time of each of `pids` now, in ms (processes that have ended are left out). */
export function cpuSnapshot(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      out.set(pid, cpuMs(pid));
    } catch {
      // gone
    }
  }
  return out;
}

/** CPU time used between two snapshots by the processes present in both. */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) {
    const b = before.get(pid);
    if (b !== undefined) sum += ms - b;
  }
  return sum;
}

/**
 * CPU use of named process groups between `start()` and `stop()`, as a percentage of one core
 * (200 % = both cores of a 2-core machine), plus the whole machine's busy share.
 *
 * @example
 * const s = cpuSampler({ relay: [pid] }); s.start(); …; console.log(s.stop());
 */
export function cpuSampler(groups: Record<string, () => readonly number[]>) {
  let t0 = 0;
  let m0 = machineCpu();
  let before: Record<string, Map<number, number>> = {};
  return {
    start() {
      t0 = performance.now();
      m0 = machineCpu();
      before = Object.fromEntries(Object.entries(groups).map(([k, f]) => [k, cpuSnapshot(f())]));
    },
    stop(): { groups: Record<string, number>; machineBusyPercent: number } {
      const elapsed = performance.now() - t0;
      const m1 = machineCpu();
      const out: Record<string, number> = {};
      for (const [k, b] of Object.entries(before))
        out[k] = (cpuDelta(b, cpuSnapshot([...b.keys()])) / elapsed) * 100;
      const total = m1.totalMs - m0.totalMs;
      return { groups: out, machineBusyPercent: total > 0 ? ((m1.busyMs - m0.busyMs) / total) * 100 : 0 };
    },
  };
}
