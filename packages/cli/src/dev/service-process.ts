import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

/** How a service process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServiceProcessOptions {
  /** Folder the process runs in (the service's folder). */
  readonly cwd: string;
  /** Entry file, relative to `cwd`. */
  readonly entry: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * A standby loader (see `writeStandbyLoader`): the process loads the service's dependencies
   * now and its entry only when `activate()` is called.
   */
  readonly standbyLoader?: string;
  /** Each line the process writes (stdout and stderr). */
  onLine(line: string): void;
}

/**
 * The warm standby's loader, written into `<service>/.outrig/` so that bare specifiers resolve
 * from the service's folder: it imports every dependency of the service's package.json (none of
 * the service's own files), then waits for the entry's path on stdin and imports it. Stdin closed
 * first (its `outrig dev` is gone): it exits.
 */
const STANDBY_LOADER = `// Written by \`outrig dev\`: a warm standby that reloads start from (safe to delete).
import { readFileSync } from 'node:fs';
let deps = [];
try {
  deps = Object.keys(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).dependencies ?? {});
} catch {}
await Promise.allSettled(deps.map((name) => import(name)));
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('end', () => process.exit(0));
process.stdin.on('data', function onData(chunk) {
  input += chunk;
  const nl = input.indexOf('\\n');
  if (nl < 0) return;
  process.stdin.off('data', onData);
  process.stdin.removeAllListeners('end');
  process.stdin.destroy();
  import(input.slice(0, nl));
});
`;

/** Writes the standby loader for the service in `dir`; its path. */
export async function writeStandbyLoader(dir: string): Promise<string> {
  const file = path.join(dir, '.outrig', 'dev-standby.mjs');
  await mkdir(path.dirname(file), { recursive: true });
  const current = await readFile(file, 'utf8').catch(() => '');
  if (current !== STANDBY_LOADER) await writeFile(file, STANDBY_LOADER);
  return file;
}

/**
 * One run of a service: `node --import @outrig/core/telemetry <entry>` in its folder (tracing
 * starts before the service's own modules), its output split into lines, the last 200 kept.
 */
export class ServiceProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ProcessExit>;
  readonly lines: string[] = [];
  /** Set when it is stopped to be replaced (a reload): its exit is not a crash. */
  replaced = false;
  /** A standby not yet activated: its entry is not loaded. */
  standby: boolean;
  private readonly entry: string;

  constructor(o: ServiceProcessOptions) {
    this.entry = path.join(o.cwd, o.entry);
    this.standby = o.standbyLoader !== undefined;
    const main = o.standbyLoader ?? this.entry;
    this.child = spawn(process.execPath, ['--import', '@outrig/core/telemetry', main], {
      cwd: o.cwd,
      env: o.env,
      stdio: [this.standby ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    this.child.stdin?.on('error', () => {}); // it exited: its exit is reported
    this.exited = new Promise((resolve) => {
      // 'close': after its output is read to the end (its last lines are the ones that matter).
      this.child.once('close', (code, signal) => resolve({ code, signal }));
      this.child.once('error', () => resolve({ code: 127, signal: null }));
    });
    let partial = { out: '', err: '' };
    const reader = (key: 'out' | 'err') => (chunk: Buffer) => {
      const text = partial[key] + chunk.toString();
      const parts = text.split('\n');
      partial = { ...partial, [key]: parts.pop() ?? '' };
      for (const line of parts) if (line !== '') this.keep(line, o.onLine);
    };
    this.child.stdout!.on('data', reader('out'));
    this.child.stderr!.on('data', reader('err'));
    const flush = () => {
      for (const rest of [partial.out, partial.err]) if (rest !== '') this.keep(rest, o.onLine);
      partial = { out: '', err: '' };
    };
    this.child.stdout!.once('end', flush);
    this.child.stderr!.once('end', flush);
  }

  /** A standby starts its entry (at once: its dependencies are loaded); false if it is gone. */
  activate(): boolean {
    if (!this.standby || !this.running || this.child.stdin === null) return false;
    this.standby = false;
    this.child.stdin.end(`${pathToFileURL(this.entry).href}\n`);
    return true;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined;
  }

  /** SIGTERM (a graceful shutdown), then SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs: number): Promise<ProcessExit> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }

  /**
   * Resolves once `GET <url>/health` answers 200; rejects with the exit when the process ends
   * first, or with `undefined` after `timeoutMs`.
   */
  async healthy(url: string, timeoutMs: number): Promise<void> {
    let exit: ProcessExit | undefined;
    void this.exited.then((e) => {
      exit = e;
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exit !== undefined) throw exit;
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        if (res.status === 200) return;
      } catch {}
      if (exit !== undefined) throw exit;
      await sleep(40);
    }
    throw undefined;
  }

  private keep(line: string, onLine: (line: string) => void): void {
    this.lines.push(line);
    if (this.lines.length > 200) this.lines.shift();
    onLine(line);
  }
}
