import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { ServiceInstance } from '../../src/index.ts';

const FIXTURE = path.join(import.meta.dirname, '..', 'fixtures', 'tiny-service.ts');

/** A tiny-service child process; `registered` resolves with its instance once it registered. */
export interface TinyService {
  readonly child: ChildProcess;
  readonly registered: Promise<ServiceInstance>;
  /** Resolves with the exit code (or signal) once the process exited. */
  readonly exited: Promise<number | string>;
  output(): string;
}

export function startTinyService(env: Record<string, string>): TinyService {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, LOG_LEVEL: 'warn', SERVICE_HOST: '127.0.0.1', SERVICE_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const registered = new Promise<ServiceInstance>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^REGISTERED (.+)$/m.exec(out);
      if (line) resolve(JSON.parse(line[1] as string) as ServiceInstance);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`tiny-service exited (${code ?? signal}):\n${out}`)),
    );
  });
  registered.catch(() => {});
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal as string)));
  });
  return { child, registered, exited, output: () => out };
}

/** SIGKILLs every child still running (afterAll safety net). */
export function killAll(services: TinyService[]): void {
  for (const s of services) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGCONT');
      s.child.kill('SIGKILL');
    }
  }
}
