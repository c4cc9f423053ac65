import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';

const READY_TIMEOUT_MS = 15_000;

/** How to run one server process, and how it says it is ready. */
export interface ServerCommand {
  /** For messages: `redis-server`. */
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  /** The stream its ready line is written to. */
  readonly stream: 'stdout' | 'stderr';
  /** Text of the ready line. */
  readonly ready: string;
}

/**
 * A server process of the test's own, on a free loopback port with its data in a temporary
 * folder, that a test may SIGKILL and start again on the same port and data (NatsServer,
 * RedisServer). The shared servers on the default ports are never touched.
 */
export abstract class PrivateServer {
  readonly port: number;
  /** Its data folder, removed by `dispose()`. */
  protected readonly folder: string;
  #child: ChildProcess | undefined;

  protected constructor(port: number, folder: string) {
    this.port = port;
    this.folder = folder;
  }

  /** The command line of one run of the server. */
  protected abstract command(): ServerCommand;

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** SIGKILL: a crash, not a clean shutdown. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts the server again on the same port and data. */
  async resume(): Promise<void> {
    await this.spawnServer();
  }

  /** SIGKILL, then start again on the same port and data (what is on disk survives). */
  async restart(): Promise<void> {
    await this.kill();
    await this.resume();
  }

  /** Kills the server and removes its data. */
  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.folder, { recursive: true, force: true });
  }

  /** Synchronous last resort (process exit). */
  forceKill(): void {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** Spawns the server and resolves once it has written its ready line. */
  protected async spawnServer(): Promise<void> {
    const { name, binary, args, stream, ready } = this.command();
    const child = spawn(binary, [...args], {
      stdio: ['ignore', stream === 'stdout' ? 'pipe' : 'ignore', stream === 'stderr' ? 'pipe' : 'ignore'],
    });
    this.#child = child;
    const output = child[stream];
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`${name} not ready:\n${log}`)), READY_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes(ready)) {
          clearTimeout(timer);
          output?.off('data', onData);
          output?.resume(); // keep draining so the pipe never blocks the server
          resolve();
        }
      };
      output?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code}:\n${log}`));
      });
    });
  }
}
