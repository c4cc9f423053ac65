import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { migrate } from '@outrig/db';
import { createPostgresBroker, type PostgresBroker } from '@outrig/messaging-postgres';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectionRunner, projectionMigrations } from '../src/index.ts';
import { Tally, tallyMessages } from './fixtures/tally-projection.ts';

const hasPg = await serverAvailable('postgres');
const WORKER = path.join(import.meta.dirname, 'crash', 'projection-worker.ts');

describe.skipIf(!hasPg)('a projection whose process is SIGKILLed while it builds', () => {
  let db: TestDatabase;
  let broker: PostgresBroker;
  const children = new Set<ChildProcess>();
  beforeAll(async () => {
    db = await createTestDatabase('projection_kill');
    await migrate(db.sql, [projectionMigrations]);
    broker = createPostgresBroker({ url: db.url, cleanupIntervalMs: 0, partitions: 4 });
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await broker?.close();
    await db?.drop();
  });

  const start = async () => {
    const child = spawn(process.execPath, [WORKER], {
      env: { ...process.env, DB_URL: db.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', () => resolve());
      child.once('exit', (code) => reject(new Error(`projection worker exited (${code})`)));
    });
    return child;
  };
  const applied = async () =>
    Number(
      (await db.sql.query<{ n: string | null }>('SELECT sum("offset") AS n FROM projection_checkpoint'))
        .rows[0]?.n ?? 0,
    );

  it('ends equal to a rebuild from zero', async () => {
    await broker.publish(tallyMessages(1)); // schema and topic
    let kills = 0;
    for (let round = 0; round < 6; round++) {
      const child = await start();
      const before = await applied();
      await broker.publish(tallyMessages(60, 11, round * 60));
      // Kill it once it has made progress in this round: mid-stream, between or inside batches.
      const until = Date.now() + 20_000;
      while ((await applied()) <= before && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      kills++;
    }
    const runner = createProjectionRunner({ sql: db.sql, projection: Tally });
    await runner.catchUp();
    expect(await runner.lag()).toMatchObject({ events: 0 });
    const incremental = (await db.sql.query('SELECT key, n, digest FROM tally ORDER BY key')).rows;
    expect(incremental.reduce((n, r) => n + (r.n as number), 0)).toBe(361);
    await runner.rebuild();
    const rebuilt = (await db.sql.query('SELECT key, n, digest FROM tally ORDER BY key')).rows;
    expect(rebuilt).toEqual(incremental);
    expect(kills).toBe(6);
  }, 120_000);
});
