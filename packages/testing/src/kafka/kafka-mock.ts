/**
 * A Kafka-protocol broker for tests: librdkafka's mock cluster (in memory) run as its own
 * process on random loopback ports, one per test file or run. It can take its brokers down and
 * up (connections dropped and refused, data kept) — the closest thing to a broker restart an
 * in-memory cluster has; killing the process loses every message.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { ensureKafkaMockBinary } from './kafka-mock-binary.ts';

const READY_TIMEOUT_MS = 30_000;

export interface KafkaMockOptions {
  /** Brokers in the cluster. Default 1. */
  readonly brokers?: number;
  /** Topics to create up front, `name:partitions[:replicas]`. Others are created on first use (4 partitions). */
  readonly topics?: readonly string[];
}

export class KafkaMock {
  /** `host:port,host:port`. */
  readonly bootstrap: string;
  readonly #child: ChildProcess;
  readonly #lines: Interface;
  #waiters: ((line: string) => void)[] = [];

  private constructor(child: ChildProcess, lines: Interface, bootstrap: string) {
    this.#child = child;
    this.#lines = lines;
    this.bootstrap = bootstrap;
    lines.on('line', (line) => this.#waiters.shift()?.(line));
  }

  /** Builds the binary if needed (slow the first time), starts the mock, learns its ports. */
  static async start(options: KafkaMockOptions = {}): Promise<KafkaMock> {
    const bin = await ensureKafkaMockBinary();
    const args = ['-b', String(options.brokers ?? 1), ...(options.topics ?? []).flatMap((t) => ['-t', t])];
    // stdin is a pipe: the mock exits when it closes, so it never outlives this process.
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const first = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('kafka-mock did not print BOOTSTRAP=')),
        READY_TIMEOUT_MS,
      );
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`kafka-mock exited with ${code}`)));
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
    }).catch((err: Error) => {
      child.kill('SIGKILL');
      throw err;
    });
    child.removeAllListeners('exit');
    return new KafkaMock(child, lines, first.replace(/^BOOTSTRAP=/, ''));
  }

  /** `kafka://host:port,host:port`, as `BUS_URL` takes it. */
  get url(): string {
    return `kafka://${this.bootstrap}`;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Takes every broker down: open connections are closed, new ones refused. Messages are kept. */
  down(): Promise<void> {
    return this.#command('down');
  }

  /** Brings every broker back up. */
  up(): Promise<void> {
    return this.#command('up');
  }

  /** Brokers down for `ms`, then up again: a broker outage without the data loss of a real restart. */
  async outage(ms = 1000): Promise<void> {
    await this.down();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.up();
  }

  /** SIGKILL, synchronously (for `process.on('exit')`). */
  forceKill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }

  /** Stops the mock (every message is gone). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    this.#lines.close();
  }

  #command(command: 'down' | 'up'): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafka-mock did not answer ${command}`)), 10_000);
      this.#waiters.push((line) => {
        clearTimeout(timer);
        if (line === `OK ${command}`) resolve();
        else reject(new Error(`kafka-mock answered ${line} to ${command}`));
      });
      this.#child.stdin?.write(`${command}\n`);
    });
  }
}
