import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createPgClient, migrate, type SqlClient } from '@outrig/db';
import { createOutbox, defineEvent, outboxMigrations } from '@outrig/messaging';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ok = await serverAvailable('postgres');

// A relay process whose "broker" is a table in the same database: an insert that commits is a
// durable ack, and the table is the order in which the world saw the events.
const RELAY_PROCESS = `
import { createPgClient } from '@outrig/db';
import { createOutboxRelay } from '@outrig/messaging';
const sql = createPgClient({ url: process.env.DB_URL, max: 3 });
const broker = {
  name: 'table',
  capabilities: { persistent: true, consumerGroups: false, orderedByKey: true, brokerDedupe: false, headers: false },
  async publish(messages) {
    await sql.query('INSERT INTO received (id, key, version) SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[])', [
      messages.map((m) => m.event.id), messages.map((m) => m.key), messages.map((m) => m.event.aggregateversion),
    ]);
    return messages.map(() => ({ ok: true }));
  },
  subscribe: () => Promise.reject(new Error('unused')),
  ping: async () => {},
  close: async () => {},
};
const relay = createOutboxRelay({
  sql, broker, batchSize: 25, pollIntervalMs: 10, leaseMs: 1000, backoff: { baseMs: 10, maxMs: 50 }, onError: () => {},
});
await relay.start();
process.stdout.write('started\\n');
process.on('SIGTERM', async () => { await relay.stop(); await sql.close(); process.exit(0); });
`;

const Ticked = defineEvent({
  type: 'clock.ticked',
  aggregateType: 'clock',
  schema: Type.Object({ i: Type.Integer() }),
});

describe.skipIf(!ok)('outbox relay under SIGKILL and SIGSTOP (PostgreSQL, child processes)', () => {
  let db: TestDatabase;
  let writer: SqlClient;
  const children = new Set<ChildProcess>();

  const startRelay = async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', RELAY_PROCESS], {
      cwd: process.cwd(),
      env: { ...process.env, DB_URL: db.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      lines.once('line', () => resolve());
      child.once('exit', (code) => reject(new Error(`relay process exited (${code}) before starting`)));
    });
    return child;
  };
  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => child.once('exit', () => resolve()));

  beforeAll(async () => {
    db = await createTestDatabase('relay_kill');
    writer = createPgClient({ url: db.url, max: 4 });
    await migrate(db.sql, [outboxMigrations]);
    await db.sql.query(
      'CREATE TABLE received (seq bigserial, id uuid NOT NULL, key text NOT NULL, version int NOT NULL)',
    );
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await writer?.close();
    await db?.drop();
  });

  it('loses nothing and keeps each aggregate in version order while relays are killed and paused', async () => {
    const outbox = createOutbox({ source: '/services/clock' });
    let a = await startRelay();
    let b = await startRelay();

    let writing = true;
    const written = (async () => {
      for (let i = 0; writing || i < 300; i++) {
        await outbox.unitOfWork(writer, async (uow) => {
          uow.publish(Ticked, { subject: `clock-${i % 12}`, data: { i } });
          if (i % 3 === 0) uow.publish(Ticked, { subject: `clock-${(i + 5) % 12}`, data: { i } });
        });
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();

    // Kill relays at arbitrary points of their cycle, replacing each.
    for (let k = 0; k < 3; k++) {
      await new Promise((r) => setTimeout(r, 150));
      const victim = k % 2 === 0 ? a : b;
      victim.kill('SIGKILL');
      await exited(victim);
      if (k % 2 === 0) a = await startRelay();
      else b = await startRelay();
    }
    // A pause longer than the lease (a GC pause, a frozen VM): its partitions move on meanwhile.
    a.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 1_600));
    a.kill('SIGCONT');
    writing = false;
    await written;

    const deadline = Date.now() + 30_000;
    for (;;) {
      const left = await db.sql.query(`SELECT 1 FROM outbox WHERE state <> 'delivered' LIMIT 1`);
      if (left.rowCount === 0) break;
      if (Date.now() > deadline) throw new Error('outbox not drained after the kills');
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const child of [a, b]) child.kill('SIGTERM');
    await Promise.all([exited(a), exited(b)]);

    // Nothing lost: every committed event reached the "broker".
    const lost = await db.sql.query(
      `SELECT id FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM received r WHERE r.id = o.id)`,
    );
    expect(lost.rows).toEqual([]);
    // Order: the first time each event was seen, all its aggregate's earlier versions had been seen.
    const seen = await db.sql.query<{ key: string; version: number }>(
      `SELECT key, version FROM (SELECT DISTINCT ON (id) id, key, version, seq FROM received ORDER BY id, seq) f
        ORDER BY seq`,
    );
    const highest = new Map<string, number>();
    for (const { key, version } of seen.rows) {
      expect(version, `${key} v${version}`).toBe((highest.get(key) ?? 0) + 1);
      highest.set(key, version);
    }
    const total = await db.sql.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
    expect(seen.rows.length).toBe(Number(total.rows[0]!.n));
    // No relay left holding a lease after a graceful stop (killed ones just expire).
    const live = await db.sql.query(`SELECT 1 FROM outbox_relay WHERE expires_at > clock_timestamp()`);
    expect(live.rowCount).toBe(0);
  });
});
