/**
 * `outrig saga …` through the real bin against the real PostgreSQL: instances made by a real
 * saga runtime (the sagas package's harness: postgres transport, relay, scripted participant),
 * one in each status the commands care about; the actions carried out by that runtime.
 */
import { instanceId } from '@outrig/sagas';
import { createTestDatabase, serverAvailable } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tripSaga } from '../../sagas/test/fixtures/trip-saga.ts';
import type { Behaviour, ScriptedCommand } from '../../sagas/test/support/participant.ts';
import { type SagaHarness, startSagaHarness } from '../../sagas/test/support/saga-harness.ts';
import { makeSystem, outrig } from './support/outrig-bin.ts';

const ok = await serverAvailable('postgres');

const scripts = new Map<string, Record<string, Behaviour>>();
const script = (cmd: ScriptedCommand): Behaviour =>
  scripts.get(cmd.trip)?.[`${cmd.phase}${cmd.step}`] ?? 'ok';

describe.skipIf(!ok)(
  'outrig saga (real bin, real PostgreSQL, a real saga runtime)',
  { timeout: 120_000 },
  () => {
    let h: SagaHarness;
    const url = () => ['--database-url', h.db.url];
    const done = instanceId('trip', 'cli-done');
    const stuck = instanceId('trip', 'cli-stuck');
    const failed = instanceId('trip', 'cli-failed');
    const stepOf = async (id: string) =>
      (
        await h.sql.query<{ step: string }>(
          "SELECT state->>'step' AS step FROM saga_instance WHERE id = $1",
          [id],
        )
      ).rows[0]?.step;

    beforeAll(async () => {
      h = await startSagaHarness('cli_sagas', script);
      await h.worker([tripSaga({ undoAttempts: 1, timeoutMs: 3_600_000, undoTimeoutMs: 3_600_000 })]);
      scripts.set('cli-stuck', { do1: 'silent' });
      scripts.set('cli-failed', { do1: 'decline', undo0: 'decline' });
      for (const trip of ['cli-done', 'cli-stuck', 'cli-failed']) await h.book(trip);
      expect(await h.settled('cli-done')).toBe('completed');
      expect(await h.settled('cli-failed')).toBe('compensation_failed');
      for (let i = 0; (await stepOf(stuck)) !== '1'; i++) {
        if (i > 500) throw new Error('cli-stuck never reached step 1');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    afterAll(() => h?.close());

    it('list: a table of every instance, oldest first; --status, --saga, --older-than filter; --json', async () => {
      const all = await outrig(['saga', 'list', ...url()]);
      expect(all).toMatchObject({ code: 0, stderr: '' });
      expect(all.stdout).toMatch(/^ID\s+SAGA\s+VERSION\s+KEY\s+STATUS\s+STEP\s+STARTED\s+AGE\n/);
      for (const [id, status] of [
        [done, 'completed'],
        [stuck, 'running'],
        [failed, 'compensation_failed'],
      ]) {
        expect(all.stdout).toMatch(new RegExp(`${id}\\s+trip\\s+1\\s+cli-\\w+\\s+${status}\\s`));
      }
      const json = await outrig([
        'saga',
        'list',
        '--status',
        'compensation_failed',
        'running',
        '--json',
        ...url(),
      ]);
      expect(json.code).toBe(0);
      const rows = JSON.parse(json.stdout) as { id: string; status: string; step: number; phase: string }[];
      expect(rows.map((r) => r.id).sort()).toEqual([stuck, failed].sort());
      expect(rows.find((r) => r.id === failed)).toMatchObject({
        status: 'compensation_failed',
        step: 0,
        phase: 'undo',
      });

      const old = await outrig(['saga', 'list', '--older-than', '1h', ...url()]);
      expect(old).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/^No saga instances matched in postgres/),
      });
      const other = await outrig(['saga', 'list', '--saga', 'order', '--json', ...url()]);
      expect(JSON.parse(other.stdout)).toEqual([]);
      const fresh = await outrig([
        'saga',
        'list',
        '--older-than',
        '1ms',
        '--saga',
        'trip',
        '--json',
        ...url(),
      ]);
      expect(JSON.parse(fresh.stdout)).toHaveLength(3);
    });

    it('show: the state, the history as a timeline, and what to do next', async () => {
      const shown = await outrig(['saga', 'show', failed, ...url()]);
      expect(shown).toMatchObject({ code: 0, stderr: '' });
      expect(shown.stdout).toContain(
        `id       ${failed}\nsaga     trip v1\nkey      cli-failed\nstatus   compensation_failed\n`,
      );
      expect(shown.stdout).toContain('reason   step hotel declined (participant.declined)');
      const timeline = shown.stdout.slice(shown.stdout.indexOf('History (4):'));
      const kinds = timeline
        .split('\n')
        .slice(2, 6)
        .map((l) => l.split(/\s+/)[3]);
      expect(kinds).toEqual(['started', 'step_completed', 'step_declined', 'compensation_failed']);
      expect(timeline).toMatch(
        /step_declined\s+running → compensating\s+1 do #1\s+\{"reason":"step hotel declined/,
      );
      expect(shown.stdout).toContain(`Next: \`outrig saga resume-compensation ${failed}\``);

      const json = await outrig(['saga', 'show', stuck, '--json', ...url()]);
      const details = JSON.parse(json.stdout);
      expect(details).toMatchObject({ id: stuck, status: 'running', step: 1, key: 'cli-stuck' });
      expect(details.timers.map((t: { name: string }) => t.name)).toEqual(['step']);
      expect(details.history.map((e: { kind: string }) => e.kind)).toEqual(['started', 'step_completed']);
    });

    it('show: an unknown instance is SAGA_NOT_FOUND (exit 1), a malformed id a usage error (exit 2)', async () => {
      const missing = await outrig(['saga', 'show', '00000000-0000-4000-8000-000000000000', ...url()]);
      expect(missing).toMatchObject({ code: 1, stdout: '' });
      expect(missing.stderr).toBe(
        'error: SAGA_NOT_FOUND: Saga instance 00000000-0000-4000-8000-000000000000 not found\n',
      );
      const bad = await outrig(['saga', 'show', 'nope', ...url()]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('nope is not a saga instance id (a UUID).');
      const none = await outrig(['saga', 'list']);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('error: no database: pass --database-url <url> or --service <name>');
    });

    it('retry re-sends the current command; abort compensates; a refused action is SAGA_ACTION_NOT_ALLOWED', async () => {
      const retried = await outrig(['saga', 'retry', stuck, ...url()]);
      expect(retried).toMatchObject({ code: 0, stderr: '' });
      expect(retried.stdout).toBe(
        `retry of ${stuck} (trip) done: it is running now. \`outrig saga show ${stuck}\` shows its history.\n`,
      );
      const { commandId } = await import('@outrig/sagas');
      expect(
        (await h.sql.query('SELECT 1 FROM outbox WHERE id = $1', [commandId(stuck, 1, 'do', 2)])).rowCount,
      ).toBe(1);

      const aborted = await outrig([
        'saga',
        'abort',
        stuck,
        '--reason',
        'customer called',
        '--json',
        ...url(),
      ]);
      expect(aborted.code).toBe(0);
      expect(JSON.parse(aborted.stdout)).toMatchObject({
        instanceId: stuck,
        action: 'abort',
        reason: 'customer called',
        outcome: 'compensating',
        error: null,
      });
      expect(await h.settled('cli-stuck')).toBe('compensated');
      expect(await h.effects('cli-stuck')).toEqual(['do0', 'undo1', 'undo0']);

      const refused = await outrig(['saga', 'abort', done, ...url()]);
      expect(refused).toMatchObject({ code: 1, stdout: '' });
      expect(refused.stderr).toBe(
        `error: SAGA_ACTION_NOT_ALLOWED: Cannot abort saga instance ${done}: it is completed\n`,
      );
    });

    it('resume-compensation takes compensation_failed back to compensating, and it finishes', async () => {
      scripts.set('cli-failed', {});
      const resumed = await outrig(['saga', 'resume-compensation', failed, ...url()]);
      expect(resumed).toMatchObject({ code: 0, stderr: '' });
      expect(resumed.stdout).toContain(
        `resume-compensation of ${failed} (trip) done: it is compensating now.`,
      );
      expect(await h.settled('cli-failed', ['compensated'])).toBe('compensated');
      const again = await outrig(['saga', 'resume-compensation', failed, ...url()]);
      expect(again.stderr).toBe(
        `error: SAGA_ACTION_NOT_ALLOWED: Cannot resume-compensation saga instance ${failed}: it is compensated\n`,
      );
    });

    it('a request no runtime picks up stays queued: CLI_SAGA_REQUEST_PENDING after --wait', async () => {
      // An instance of a saga no process here runs.
      const ghost = instanceId('ghost', 'g-1');
      await h.sql.query(
        `INSERT INTO saga_instance (id, saga, version, saga_key, status, state, revision)
       VALUES ($1, 'ghost', 1, 'g-1', 'running', $2, 1)`,
        [
          ghost,
          JSON.stringify({
            data: {},
            step: 0,
            phase: 'do',
            attempt: 1,
            awaiting: true,
            pending: [],
            compensated: [],
            stepStartedAt: 0,
          }),
        ],
      );
      const pending = await outrig(['saga', 'retry', ghost, '--wait', '300ms', ...url()]);
      expect(pending).toMatchObject({ code: 1, stdout: '' });
      expect(pending.stderr).toMatch(
        new RegExp(
          `^error: CLI_SAGA_REQUEST_PENDING: The retry of saga instance ${ghost} is recorded \\(request \\d+ in postgres.*\\) but no runtime of saga ghost carried it out within 300 ms: it stays queued`,
        ),
      );
      const queued = await h.sql.query(
        'SELECT action FROM saga_request WHERE instance_id = $1 AND handled_at IS NULL',
        [ghost],
      );
      expect(queued.rows).toEqual([{ action: 'retry' }]);
    });

    it('--service finds the database as outrig db does (<SERVICE>_DATABASE_URL); no saga tables is CLI_SAGAS_MISSING', async () => {
      const system = await makeSystem(
        { name: 'sagafix', services: { 'order-service': { dir: 'services/order', port: 18_451 } } },
        { 'services/order/src/main.ts': '' },
      );
      const empty = await createTestDatabase('cli_sagas_empty');
      try {
        const listed = await outrig(['saga', 'list', '--service', 'order-service', '--json'], {
          cwd: system.root,
          env: { ORDER_SERVICE_DATABASE_URL: h.db.url },
        });
        expect(listed.code).toBe(0);
        expect(JSON.parse(listed.stdout).length).toBeGreaterThanOrEqual(3);
        const missing = await outrig(['saga', 'list', '--service', 'order-service'], {
          cwd: system.root,
          env: { ORDER_SERVICE_DATABASE_URL: empty.url },
        });
        expect(missing).toMatchObject({ code: 1, stdout: '' });
        expect(missing.stderr).toMatch(
          /^error: CLI_SAGAS_MISSING: The saga tables are missing in postgres.*sagaMigrations\)\n$/,
        );
        const unknown = await outrig(['saga', 'list', '--service', 'nope'], { cwd: system.root });
        expect(unknown.stderr).toMatch(/^error: CLI_SERVICE_UNKNOWN: No service nope/);
      } finally {
        await empty.drop();
        await system.remove();
      }
    });
  },
);
