import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { FromWorker, Role, ToWorker } from './pipeline-protocol.ts';

const WORKER = join(import.meta.dirname, 'pipeline-worker.ts');

/** A forked worker and a way to await its messages. */
export class Worker {
  readonly child: ChildProcess;
  readonly roles: Role[];
  private readonly listeners = new Set<(m: FromWorker) => void>();
  constructor(roles: Role[]) {
    this.roles = roles;
    this.child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: FromWorker) => {
      if (m.type === 'error') console.error(`# worker ${roles.join('+')} failed: ${m.message}`);
      for (const l of this.listeners) l(m);
    });
  }
  send(message: ToWorker): void {
    this.child.send(message);
  }
  on(listener: (m: FromWorker) => void): void {
    this.listeners.add(listener);
  }
  /** The next message of `type`; rejects on a worker error, an exit, or after `timeoutMs`. */
  next<T extends FromWorker['type']>(type: T, timeoutMs = 60_000): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        this.child.off('exit', exited);
      };
      const listener = (m: FromWorker) => {
        if (m.type === type) {
          done();
          resolve(m as Extract<FromWorker, { type: T }>);
        } else if (m.type === 'error') {
          done();
          reject(new Error(`worker ${this.roles.join('+')}: ${m.message}`));
        }
      };
      const exited = (code: number | null) => {
        done();
        reject(new Error(`worker ${this.roles.join('+')} exited (${code}) while waiting for ${type}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`worker ${this.roles.join('+')}: no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(listener);
      this.child.once('exit', exited);
    });
  }
}
