import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { migrate } from '@outrig/db';
import { createOutbox, defineEvent, outboxMigrations } from '@outrig/messaging';
import { createTestDatabase, freePort, serverAvailable, type TestDatabase } from '@outrig/testing';
import { run } from 'outrig';
import { Type } from 'typebox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const ok = await serverAvailable('postgres');
const BIN = join(import.meta.dirname, '..', 'src', 'bin.ts');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `outrig` bin as a user would, with only the given environment (no DATABASE_URL leaks in). */
function outrig(args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const OrderPlaced = defineEvent({
  type: 'order.placed',
  aggregateType: 'order',
  schema: Type.Object({ total: Type.Integer() }),
});

describe.skipIf(!ok)('outrig outbox (real bin, real PostgreSQL)', () => {
  let db: TestDatabase;
  /** Event ids by `<aggregate id>@<version>`. */
  let ids: Record<string, string>;
  const outbox = createOutbox({ source: '/services/orders' });
  const url = () => ['--database-url', db.url];
  const state = async (id: string | undefined) =>
    (
      await db.sql.query<{ state: string; attempts: number }>(
        'SELECT state, attempts FROM outbox WHERE id = $1',
        [id],
      )
    ).rows[0];

  beforeAll(async () => {
    db = await createTestDatabase('cli_outbox');
    await migrate(db.sql, [outboxMigrations]);
  });
  afterAll(() => db?.drop());

  // Four events: a@1 and b@1 parked (5 attempts, 'boom'), a@2 and c@1 pending (a@2 two hours
  // old); one live relay holding 3 partitions and one whose heartbeat expired.
  beforeEach(async () => {
    await db.sql.query('TRUNCATE outbox, outbox_aggregate, outbox_relay, outbox_lease');
    await outbox.unitOfWork(db.sql, async (uow) => {
      uow.publish(OrderPlaced, { subject: 'a', data: { total: 1 } });
      uow.publish(OrderPlaced, { subject: 'a', data: { total: 2 } });
      uow.publish(OrderPlaced, { subject: 'b', data: { total: 3 } });
      uow.publish(OrderPlaced, { subject: 'c', data: { total: 4 } });
    });
    const { rows } = await db.sql.query<{ id: string; key: string }>(
      `SELECT id::text, aggregate_id || '@' || aggregate_version AS key FROM outbox`,
    );
    ids = Object.fromEntries(rows.map((r) => [r.key, r.id]));
    await db.sql.query(
      `UPDATE outbox SET state = 'parked', attempts = 5, last_error = 'boom' WHERE id = ANY($1::uuid[])`,
      [[ids['a@1'], ids['b@1']]],
    );
    await db.sql.query(
      `UPDATE outbox SET created_at = clock_timestamp() - interval '2 hours' WHERE id = $1`,
      [ids['a@2']],
    );
    await db.sql.query(`INSERT INTO outbox_relay (id, expires_at) VALUES
      ('relay-live', clock_timestamp() + interval '1 hour'), ('relay-dead', clock_timestamp() - interval '1 hour')`);
    await db.sql.query(`INSERT INTO outbox_lease (partition, owner, expires_at)
      SELECT p, 'relay-live', clock_timestamp() + interval '1 hour' FROM generate_series(0, 2) p`);
  });

  it('status prints the counts, the oldest pending age, partitions and the live relays', async () => {
    const r = await outrig(['outbox', 'status', ...url()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`database        ${db.url}\n`);
    expect(r.stdout).toMatch(/^pending {9}2$/m);
    expect(r.stdout).toMatch(/^oldest pending {2}2 h 0 min$/m);
    expect(r.stdout).toMatch(/^parked {10}2$/m);
    expect(r.stdout).toMatch(/^partitions {6}64$/m);
    expect(r.stdout).toMatch(/^live relays {5}1 \(relay-live: 3 partitions\)$/m);
    expect(r.stdout).toContain(
      '2 parked events block their aggregates: list them with `outrig outbox parked`',
    );
  });

  it('status --json prints the values, reading DATABASE_URL', async () => {
    const r = await outrig(['outbox', 'status', '--json'], { DATABASE_URL: db.url });
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout);
    expect(status).toEqual({
      pending: 2,
      parked: 2,
      oldestPendingAgeMs: expect.any(Number),
      partitions: 64,
      relays: [{ id: 'relay-live', partitions: 3 }],
    });
    // Backdated by two hours: whatever the run takes, it reads as two hours and a bit.
    expect(status.oldestPendingAgeMs).toBeGreaterThanOrEqual(2 * 3600_000);
    expect(status.oldestPendingAgeMs).toBeLessThan(3 * 3600_000);
  });

  it('run() gives the same answer in-process and resolves to the exit code', async () => {
    let out = '';
    const code = await run(['outbox', 'status', '--json'], {
      env: { DATABASE_URL: db.url },
      stdout: (text) => {
        out += text;
      },
    });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ pending: 2, parked: 2 });
  });

  it('parked lists the parked events (not the pending ones) with what a user needs to decide', async () => {
    const r = await outrig(['outbox', 'parked', ...url()]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^ID +TYPE +AGGREGATE +VERSION +ATTEMPTS +CREATED +LAST ERROR$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${ids['a@1']} +order\\.placed +order:a +1 +5 +\\d{4}-\\d\\d-\\d\\dT\\S+Z +boom$`),
    );
    expect(lines[2]).toMatch(new RegExp(`^${ids['b@1']} +order\\.placed +order:b +1 +5 +\\S+ +boom$`));
    expect(r.stdout).not.toContain(ids['a@2']);
    expect(r.stdout).not.toContain(ids['c@1']);
    expect(r.stdout).toContain('outrig outbox retry --id <id>');
  });

  it('parked --json --limit 1 returns the oldest parked event only', async () => {
    const r = await outrig(['outbox', 'parked', '--json', '--limit', '1', ...url()]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        id: ids['a@1'],
        type: 'order.placed',
        aggregateType: 'order',
        aggregateId: 'a',
        aggregateVersion: 1,
        attempts: 5,
        lastError: 'boom',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
  });

  it("retry --aggregate returns that aggregate's parked events to pending, attempts reset", async () => {
    const r = await outrig(['outbox', 'retry', '--aggregate', 'order:a', ...url()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 parked event back to pending');
    expect(await state(ids['a@1'])).toEqual({ state: 'pending', attempts: 0 });
    expect(await state(ids['b@1'])).toEqual({ state: 'parked', attempts: 5 });
  });

  it('retry --id and retry --all redrive exactly what they name', async () => {
    const one = await outrig(['outbox', 'retry', '--id', ids['b@1']!, ...url()]);
    expect(one.code).toBe(0);
    expect(await state(ids['b@1'])).toEqual({ state: 'pending', attempts: 0 });
    expect(await state(ids['a@1'])).toEqual({ state: 'parked', attempts: 5 });
    const all = await outrig(['outbox', 'retry', '--all', ...url()]);
    expect(all.stdout).toContain('1 parked event back to pending');
    expect(await state(ids['a@1'])).toEqual({ state: 'pending', attempts: 0 });
  });

  it('skip --id marks those events skipped and leaves the others parked', async () => {
    const r = await outrig(['outbox', 'skip', '--id', ids['b@1']!, ...url()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 parked event skipped');
    expect(await state(ids['b@1'])).toMatchObject({ state: 'skipped' });
    expect(await state(ids['a@1'])).toMatchObject({ state: 'parked' });
    const again = await outrig(['outbox', 'skip', '--id', ids['b@1']!, ...url()]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No parked event matched');
  });

  it('a database without the outbox tables: exit 1, one coded line saying to run the migrations', async () => {
    const empty = await createTestDatabase('cli_empty');
    try {
      const r = await outrig(['outbox', 'status', '--database-url', empty.url]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `error: CLI_OUTBOX_MISSING: The outbox tables are missing in ${empty.url}: run the service's migrations first (outboxMigrations)\n`,
      );
    } finally {
      await empty.drop();
    }
  });

  it('an unreachable database: exit 1, DB_UNREACHABLE naming the URL with the password masked', async () => {
    const target = `postgres://app:s3cret@127.0.0.1:${await freePort()}/orders`;
    const r = await outrig(['outbox', 'parked', '--database-url', target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: DB_UNREACHABLE: ');
    expect(r.stderr).toContain(`postgres://app:***@127.0.0.1:`);
    expect(r.stderr).not.toContain('s3cret');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1); // no stack trace
  });

  it.each([
    ['no selector', ['outbox', 'retry']],
    ['two selectors', ['outbox', 'retry', '--all', '--aggregate', 'order:b']],
    ['a malformed aggregate', ['outbox', 'retry', '--aggregate', 'order']],
    ['an id that is not a UUID', ['outbox', 'skip', '--id', 'a@1']],
    ['skip without --id', ['outbox', 'skip']],
    ['an unknown option', ['outbox', 'status', '--verbose']],
    ['an unknown command', ['outbox', 'replay']],
    ['--database-url with --service', ['outbox', 'status', '--service', 'orders']],
  ])('bad usage (%s): exit 2, says what is wrong, changes nothing', async (_name, args) => {
    const r = await outrig([...args, ...url()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).toContain('--help');
    const { rows } = await db.sql.query(`SELECT 1 FROM outbox WHERE state = 'parked'`);
    expect(rows).toHaveLength(2);
  });

  it('no database given: exit 2 naming the ways to give one', async () => {
    const r = await outrig(['outbox', 'status']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --database-url <url> or --service <name>, or set DATABASE_URL');
  });

  it.each([['status'], ['parked'], ['retry'], ['skip']])(
    'outbox %s --help shows examples and exits 0',
    async (command) => {
      const r = await outrig(['outbox', command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: outrig outbox ${command}`);
      expect(r.stdout).toContain(`$ outrig outbox ${command}`);
    },
  );
});
