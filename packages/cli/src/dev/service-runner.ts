import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SystemService } from '../system/system-file.ts';
import type { DevOutput } from './dev-output.ts';
import { type ProcessExit, ServiceProcess, writeStandbyLoader } from './service-process.ts';
import { type ServiceWatch, watchService } from './watch-service.ts';

/** A reload or restart waits this long for the old process's graceful shutdown, then kills it. */
const RELOAD_GRACE_MS = 3_000;
/** A final stop (Ctrl-C) waits this long before killing. */
const STOP_GRACE_MS = 15_000;
/** Up this long, a service's crash count starts again from zero. */
const STABLE_MS = 30_000;

/** A service that did not come up: its exit (or none: no /health in time) and its last output. */
export class StartFailure extends Error {
  readonly service: string;
  readonly exit: ProcessExit | undefined;
  readonly lines: readonly string[];

  constructor(service: string, exit: ProcessExit | undefined, lines: readonly string[], timeoutMs: number) {
    super(
      exit === undefined
        ? `no /health within ${timeoutMs / 1000} s`
        : exit.signal
          ? `signal ${exit.signal}`
          : `exit code ${exit.code}`,
    );
    this.service = service;
    this.exit = exit;
    this.lines = lines;
  }
}

/**
 * Runs one service for `outrig dev`: starts it, restarts it with backoff (1 s, 2 s, 4 s … 30 s)
 * when it exits on its own, and restarts it at once when one of its files changes.
 */
export class ServiceRunner {
  private current: ServiceProcess | undefined;
  private watch: ServiceWatch | undefined;
  private stopping = false;
  /** Stopped from the dashboard: no restart, no reload until {@link resume}. */
  private paused = false;
  private crashes = 0;
  private backoff: NodeJS.Timeout | undefined;
  /** Serialises reloads and restarts: one process at a time holds the port. */
  private queue: Promise<void> = Promise.resolve();
  private pendingChange: string | undefined;
  /** Replaced processes still shutting down. */
  private readonly retiring = new Set<Promise<unknown>>();

  readonly service: SystemService;
  readonly port: number;
  private readonly env: Readonly<Record<string, string>>;
  private readonly out: DevOutput;
  /** How long the service may take to answer /health after it was spawned. */
  private readonly startTimeoutMs: number;
  /** Whether to keep a warm standby (dependencies loaded) to reload and restart from. */
  private readonly useStandby: boolean;
  private standby: ServiceProcess | undefined;

  constructor(
    service: SystemService,
    port: number,
    env: Readonly<Record<string, string>>,
    out: DevOutput,
    options: { startTimeoutMs: number; standby: boolean },
  ) {
    this.service = service;
    this.port = port;
    this.env = env;
    this.out = out;
    this.startTimeoutMs = options.startTimeoutMs;
    this.useStandby = options.standby;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.current?.pid ?? 0;
  }

  /** Starts the process and waits for /health; a StartFailure when it exits or times out first. */
  async start(): Promise<void> {
    const began = Date.now();
    const proc = this.spawn();
    try {
      await proc.healthy(this.url, this.startTimeoutMs);
    } catch (exit) {
      throw new StartFailure(
        this.service.name,
        exit as ProcessExit | undefined,
        proc.lines,
        this.startTimeoutMs,
      );
    }
    this.out.emit({
      event: 'ready',
      service: this.service.name,
      pid: proc.pid,
      url: this.url,
      ms: Date.now() - began,
    });
  }

  /** From now on: restart after a crash, reload on a change. */
  async supervise(): Promise<void> {
    if (this.current) this.onExit(this.current);
    this.watch = await watchService(this.service.dir, (file) => this.changed(file));
    void this.prepareStandby();
  }

  /** Stops watching and stops the process (SIGTERM, then SIGKILL after 15 s). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.backoff);
    this.watch?.close();
    const standby = this.standby;
    this.standby = undefined;
    // Not waiting for a reload in progress: stopping its process ends its wait for /health,
    // and it starts nothing once `stopping` is set.
    await Promise.all([this.current?.stop(STOP_GRACE_MS), standby?.stop(STOP_GRACE_MS), ...this.retiring]);
  }

  /** Whether the service was stopped with {@link pause}. */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Stops the service's process and keeps it stopped (no restart, no reload on a change) until
   * {@link resume}: the dashboard's stop button.
   */
  async pause(): Promise<void> {
    if (this.stopping || this.paused) return;
    this.paused = true;
    clearTimeout(this.backoff);
    // In the queue: a reload under way finishes first, and its new process is the one stopped.
    const pid = await new Promise<number>((resolve) => {
      this.enqueue(async () => {
        const proc = this.current;
        await proc?.stop(RELOAD_GRACE_MS);
        resolve(proc?.pid ?? 0);
      });
    });
    this.out.emit({ event: 'paused', service: this.service.name, pid });
  }

  /** Starts a paused service again; resolves once it answers /health (or has exited). */
  async resume(): Promise<void> {
    if (this.stopping || !this.paused) return;
    this.paused = false;
    this.crashes = 0;
    await new Promise<void>((resolve) => {
      this.enqueue(async () => {
        await this.restart(0, false).finally(resolve);
      });
    });
  }

  /** Output lines of the latest process, for a failure report. */
  get lines(): readonly string[] {
    return this.current?.lines ?? [];
  }

  /** A new process of the service: the standby's when one is waiting (its dependencies are loaded). */
  private spawn(): ServiceProcess {
    const standby = this.standby;
    this.standby = undefined;
    const proc = standby?.activate() ? standby : this.newProcess();
    this.current = proc;
    this.out.emit({ event: 'started', service: this.service.name, pid: proc.pid, port: this.port });
    return proc;
  }

  private newProcess(standbyLoader?: string): ServiceProcess {
    return new ServiceProcess({
      cwd: this.service.dir,
      entry: this.service.entry,
      env: this.env,
      ...(standbyLoader === undefined ? {} : { standbyLoader }),
      onLine: (line) => this.out.emit({ event: 'log', service: this.service.name, line }),
    });
  }

  /**
   * Starts the next standby, once the service is up (never while it boots, on a busy machine):
   * a reload or restart then only loads the service's own files.
   */
  private async prepareStandby(): Promise<void> {
    if (!this.useStandby || this.stopping || this.standby?.running) return;
    const loader = await writeStandbyLoader(this.service.dir).catch(() => undefined);
    if (loader === undefined || this.stopping || this.standby?.running) return;
    const standby = this.newProcess(loader);
    this.standby = standby;
    this.out.emit({ event: 'standby', service: this.service.name, pid: standby.pid });
    void standby.exited.then(() => {
      if (this.standby === standby) this.standby = undefined;
    });
  }

  private onExit(proc: ServiceProcess): void {
    const upSince = Date.now();
    void proc.exited.then((exit) => {
      if (this.stopping || this.paused || this.current !== proc || proc.replaced) return;
      this.out.emit({ event: 'exited', service: this.service.name, pid: proc.pid, ...exitFields(exit) });
      if (Date.now() - upSince > STABLE_MS) this.crashes = 0;
      const delayMs = Math.min(30_000, 1000 * 2 ** Math.min(this.crashes, 5));
      this.crashes++;
      this.backoff = setTimeout(() => this.enqueue(() => this.restart(delayMs)), delayMs);
    });
  }

  private async restart(delayMs: number, report = true): Promise<void> {
    if (this.stopping || this.paused || this.current?.running) return;
    const proc = this.spawn();
    this.onExit(proc);
    if (report) {
      this.out.emit({
        event: 'restarted',
        service: this.service.name,
        pid: proc.pid,
        attempt: this.crashes,
        delayMs,
      });
    }
    await proc.healthy(this.url, this.startTimeoutMs).then(
      () => {
        this.out.emit({ event: 'ready', service: this.service.name, pid: proc.pid, url: this.url, ms: 0 });
        void this.prepareStandby();
      },
      () => {}, // its exit is reported (and retried) by onExit
    );
  }

  private changed(file: string): void {
    if (this.stopping || this.paused) return;
    // Several saves while a reload runs: one more reload after it, for the last file.
    const queued = this.pendingChange !== undefined;
    this.pendingChange = file;
    if (!queued) this.enqueue(() => this.reload());
  }

  private async reload(): Promise<void> {
    const file = this.pendingChange ?? '';
    this.pendingChange = undefined;
    if (this.stopping || this.paused) return;
    const began = Date.now();
    clearTimeout(this.backoff); // a fix saved while it waits to restart after a crash: start now
    const old = this.current;
    if (old) {
      old.replaced = true;
      // The new process boots while the old one drains, deregisters and flushes: it only has
      // to wait until the old one has stopped listening (fastify closes its listener first).
      const stopped = old.stop(RELOAD_GRACE_MS);
      this.retiring.add(stopped);
      void stopped.finally(() => this.retiring.delete(stopped));
      await Promise.race([stopped, portReleased(this.port, stopped)]);
    }
    if (this.stopping) return;
    const proc = this.spawn();
    this.onExit(proc);
    try {
      await proc.healthy(this.url, this.startTimeoutMs);
      this.crashes = 0;
      this.out.emit({
        event: 'reloaded',
        service: this.service.name,
        pid: proc.pid,
        file,
        ms: Date.now() - began,
      });
      void this.prepareStandby();
    } catch {
      // Exited (a syntax error, say): reported and retried with backoff by onExit; a fix reloads it.
    }
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch(() => {});
  }
}

/** Resolves once nothing listens on 127.0.0.1:`port` (polling every 10 ms), or `until` settles. */
async function portReleased(port: number, until: Promise<unknown>): Promise<void> {
  let settled = false;
  void until.finally(() => {
    settled = true;
  });
  while (!settled) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return;
    await sleep(10);
  }
}

function exitFields(exit: ProcessExit): { code: number | null; signal: string | null } {
  return { code: exit.code, signal: exit.signal };
}
