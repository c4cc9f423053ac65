import { type ChildProcess, spawn } from 'node:child_process';
import { createPgClient } from '@outrig/db';
import { freePort, testServers } from '@outrig/testing';
import { loadSystem } from '../../src/system/system-file.ts';

/** A system started by {@link runSystem}. */
export interface RunningSystem {
  readonly gatewayUrl: string;
  readonly busUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts every service of the system in `root` as `outrig dev` does (each its own process, its
 * own database, one bus, one local registry), but on the test PostgreSQL server and free ports,
 * so nothing collides with other checkouts. Resolves once every service answers /health.
 */
export async function runSystem(root: string, home: string): Promise<RunningSystem> {
  const system = await loadSystem(root);
  const tag = Math.random().toString(36).slice(2, 8);
  const created: string[] = [];
  const admin = createPgClient({ url: testServers.postgres, max: 1 });
  const database = async (name: string) => {
    const db = `outrig_t_new_${name.replace(/-/g, '_')}_${tag}`;
    await admin.query(`CREATE DATABASE "${db}"`);
    created.push(db);
    const url = new URL(testServers.postgres);
    url.pathname = `/${db}`;
    return url.toString();
  };
  const busUrl = await database('bus');
  const children: ChildProcess[] = [];
  const output: string[] = [];
  let gatewayUrl = '';
  const ports: { name: string; port: number; child: ChildProcess }[] = [];
  for (const service of system.services) {
    const port = await freePort();
    if (service.kind === 'gateway') gatewayUrl = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      OUTRIG_HOME: home,
      SERVICE_PORT: String(port),
      ...(service.database ? { DATABASE_URL: await database(service.name), BUS_URL: busUrl } : {}),
    };
    const child = spawn(process.execPath, ['--import', '@outrig/core/telemetry', service.entry], {
      cwd: service.dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => output.push(`${service.name}: ${c}`));
    child.stderr!.on('data', (c: Buffer) => output.push(`${service.name}: ${c}`));
    children.push(child);
    ports.push({ name: service.name, port, child });
  }
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    for (const db of created) await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    await admin.close();
  };
  try {
    for (const { name, port, child } of ports) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode})`);
        if (Date.now() > deadline) throw new Error(`${name}: no /health within 60 s`);
        const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output.join('')}`);
  }
  return { gatewayUrl, busUrl, stop };
}
