import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

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
  /** Each line the process writes (stdout and stderr). */
  onLine(line: string): void;
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

  constructor(o: ServiceProcessOptions) {
    this.child = spawn(process.execPath, ['--import', '@outrig/core/telemetry', path.join(o.cwd, o.entry)], {
      cwd: o.cwd,
      env: o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
