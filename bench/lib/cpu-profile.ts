import { readFileSync } from 'node:fs';
import { printTable, round } from './report.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Time attributed to one key, in ms and as a share of the busy (non-idle) time. */
export interface ProfileEntry {
  key: string;
  ms: number;
  share: number;
}

/** Self time per function, self and inclusive time per area (package, core file, node module). */
export interface ProfileSummary {
  busyMs: number;
  functions: ProfileEntry[];
  selfByArea: ProfileEntry[];
  inclusiveByArea: ProfileEntry[];
}

/**
 * Where a frame's code lives: `fastify`, `pino`, `@fastify/helmet`, `core:http/envelope.ts`,
 * `node:internal/…`, or a V8 pseudo-frame such as `(garbage collector)`.
 */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) return pkg;
  const core = /packages\/core\/src\/(.+)$/.exec(url)?.[1];
  if (core) return `core:${core}`;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url.replace(/^file:\/\/.*\/(bench|examples|packages)\//, '$1/');
}

/**
 * Reads a `.cpuprofile` written by `node --cpu-prof` and attributes sampled time. Idle time
 * (`(idle)`) is left out, so shares are of the time the process was busy.
 *
 * @example
 * const s = summarizeCpuProfile('/tmp/prof/CPU.123.cpuprofile');
 * console.table(s.functions.slice(0, 20));
 */
export function summarizeCpuProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfFn = new Map<string, number>();
  const selfArea = new Map<string, number>();
  const inclArea = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') return;
    busy += dt;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    add(selfFn, `${functionName || '(anonymous)'} ${area}:${lineNumber + 1}`, dt);
    add(selfArea, area, dt);
    // Inclusive: each area on the sample's stack counts once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      seen.add(areaOf(f.url, f.functionName));
    }
    for (const a of seen) add(inclArea, a, dt);
  });
  const sorted = (m: Map<string, number>) =>
    [...m.entries()].map(([key, ms]) => ({ key, ms, share: ms / busy })).sort((a, b) => b.ms - a.ms);
  return {
    busyMs: busy,
    functions: sorted(selfFn),
    selfByArea: sorted(selfArea),
    inclusiveByArea: sorted(inclArea),
  };
}

/** Prints the top `top` rows of each table of a summary: self time by function and by area, inclusive time by area. */
export function printProfileSummary(summary: ProfileSummary, top: number): void {
  const rows = (entries: ProfileEntry[]) =>
    entries.slice(0, top).map((e) => [e.key, round(e.ms), `${round(e.share * 100, 1)} %`]);
  console.log('\n## self time by function');
  printTable(['function area:line', 'ms', 'share'], rows(summary.functions));
  console.log('\n## self time by area');
  printTable(['area', 'ms', 'share'], rows(summary.selfByArea));
  console.log('\n## inclusive time by area (on the stack)');
  printTable(['area', 'ms', 'share'], rows(summary.inclusiveByArea));
}
