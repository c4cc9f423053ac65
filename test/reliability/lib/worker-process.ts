/**
 * Worker processes (`process.execPath workers/<x>.ts <json>`): started, killed (SIGKILL),
 * frozen (SIGSTOP/SIGCONT) and stopped (SIGTERM) by pid. Every process started here is
 * registered so the suite can always end it, whatever happens.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { LINE_PREFIX, type RelayStatsLine, type WorkerMessage } from './worker-config.ts';

const WORKERS = path.join(import.meta.dirname, '..', 'workers');
/**
 * A worker's start (module loading, connecting, joining) may take long on a loaded two-core
 * machine: workers start several at once, and the Kafka client alone took ~4 s to import at a
 * load average of 20. Only how soon a broken start is reported depends on it.
 */
const READY_TIMEOUT_MS = 60_000;
const live = new Set<WorkerProcess>();

/** Kills every worker still alive (on failure, deadline or exit). Synchronous on purpose. */
export function killAllWorkers(): void {
  for (const worker of live) worker.forceKill();
}

export class WorkerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** The latest `stats` line (relays). */
  lastStats: RelayStatsLine | undefined;
  /** Set when the suite killed or stopped it (so its exit is not a crash). */
  killedBySuite = false;
  readonly #listeners = new Set<(message: WorkerMessage) => void>();
  readonly #stderr: string[];
  /** This worker's last stderr lines, for start failures. */
  readonly #own: string[] = [];

  private constructor(name: string, child: ChildProcess, stderr: string[]) {
    this.name = name;
    this.child = child;
    this.#stderr = stderr;
    // 'close', not 'exit': the last stdout lines (final stats) are read by then.
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    void this.exited.then(() => live.delete(this));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith(LINE_PREFIX)) return;
      const message = JSON.parse(line.slice(LINE_PREFIX.length)) as WorkerMessage;
      if (message.t === 'stats') this.lastStats = message.stats;
      for (const listener of this.#listeners) listener(message);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.#own.push(line);
      if (this.#own.length > 30) this.#own.shift();
      stderr.push(`${name}: ${line}`);
      if (stderr.length > 400) stderr.splice(0, stderr.length - 300);
    });
  }

  /**
   * Starts `workers/<script>` and resolves once it printed `ready`.
   * @param stderr shared buffer of the scenario's worker logs (shown when a scenario fails)
   */
  static async start(
    script: string,
    name: string,
    config: unknown,
    stderr: string[],
  ): Promise<WorkerProcess> {
    const child = spawn(process.execPath, [path.join(WORKERS, script), JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new WorkerProcess(name, child, stderr);
    live.add(worker);
    try {
      await worker.waitFor((m) => m.t === 'ready', READY_TIMEOUT_MS, 'ready');
    } catch (error) {
      worker.forceKill();
      await worker.exited;
      throw new Error(`${(error as Error).message}:\n${worker.#own.join('\n')}`);
    }
    return worker;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  onMessage(listener: (message: WorkerMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first message matching `match`; rejects on exit or after `timeoutMs`. */
  waitFor(match: (m: WorkerMessage) => boolean, timeoutMs: number, what: string): Promise<WorkerMessage> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error, message?: WorkerMessage) => {
        clearTimeout(timer);
        off();
        if (error) reject(error);
        else resolve(message!);
      };
      const timer = setTimeout(
        () => done(new Error(`${this.name}: no ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const off = this.onMessage((m) => {
        if (match(m)) done(undefined, m);
      });
      void this.exited.then(() => done(new Error(`${this.name} exited before ${what}`)));
    });
  }

  /** SIGKILL, then waits for the exit: a crash, nothing is cleaned up. */
  async kill(): Promise<void> {
    this.forceKill();
    await this.exited;
  }

  /** SIGKILL without waiting. */
  forceKill(): void {
    this.killedBySuite = true;
    if (this.alive) this.child.kill('SIGKILL');
  }

  freeze(): void {
    this.child.kill('SIGSTOP');
  }

  thaw(): void {
    this.child.kill('SIGCONT');
  }

  /** SIGTERM (the worker stops cleanly), SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.killedBySuite = true;
    this.child.kill('SIGCONT');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.forceKill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
