import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { CoreErrors } from '../errors.ts';

/** A readiness check: resolves when the dependency is usable, rejects (or times out) otherwise. */
export type ReadinessCheck = () => Promise<void>;

/** Registered checks plus the shutdown flag; `/ready` reads both. */
export class Readiness {
  readonly #checks = new Map<string, ReadinessCheck>();
  shuttingDown = false;

  add(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  /** Runs every check in parallel, each bounded by `timeoutMs`. */
  async run(timeoutMs: number): Promise<Record<string, string>> {
    const entries = [...this.#checks.entries()];
    const results = await Promise.all(entries.map(([, check]) => withTimeout(check(), timeoutMs)));
    return Object.fromEntries(entries.map(([name], i) => [name, results[i] ?? 'ok']));
  }
}

const kitRoute = { envelope: true, metrics: false, log: false };

/** `/health` (liveness: the process answers) and `/ready` (readiness: every check passes). */
export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  const Status = Type.Object({
    status: Type.String(),
    checks: Type.Optional(Type.Record(Type.String(), Type.String())),
  });
  app.get(
    '/health',
    { config: kitRoute, schema: { tags: ['health'], summary: 'Liveness', response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/ready',
    { config: kitRoute, schema: { tags: ['health'], summary: 'Readiness', response: { 200: Status } } },
    async () => {
      if (readiness.shuttingDown) throw CoreErrors.SHUTTING_DOWN();
      const checks = await readiness.run(2000);
      const failed = Object.entries(checks).filter(([, v]) => v !== 'ok');
      if (failed.length > 0) throw CoreErrors.NOT_READY({ details: { checks } });
      return { status: 'ready', checks };
    },
  );
}

async function withTimeout(p: Promise<void>, ms: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`timed out after ${ms} ms`), ms);
  });
  try {
    return await Promise.race([p.then(() => undefined), timeout]);
  } catch (err) {
    return `down: ${(err as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}
