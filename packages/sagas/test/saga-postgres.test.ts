import { createEvent } from '@outrig/messaging';
import { serverAvailable } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSagaEngine, createSagaRegistry, instanceId } from '../src/index.ts';
import { StepDone, TripBooked, tripSaga } from './fixtures/trip-saga.ts';
import type { Behaviour, ScriptedCommand } from './support/participant.ts';
import { type SagaHarness, startSagaHarness } from './support/saga-harness.ts';

const hasPg = await serverAvailable('postgres');

// What each trip's participant does: `<trip>` → per `<phase><step>` a behaviour (default ok).
const scripts = new Map<string, Record<string, Behaviour>>();
const script = (cmd: ScriptedCommand): Behaviour =>
  scripts.get(cmd.trip)?.[`${cmd.phase}${cmd.step}`] ?? 'ok';

describe.skipIf(!hasPg)(
  'sagas against PostgreSQL (postgres transport, relay, scripted participants, two workers)',
  () => {
    let h: SagaHarness;
    const v1 = tripSaga({ undoAttempts: 2 }); // timeouts of a minute: the tests advance the clock

    beforeAll(async () => {
      h = await startSagaHarness('sagas', script);
      await h.worker([v1]);
      await h.worker([v1]);
    });
    afterAll(async () => {
      await h?.close();
    });

    const run = async (trip: string, behaviours: Record<string, Behaviour>) => {
      scripts.set(trip, behaviours);
      await h.book(trip);
      return settle(trip);
    };
    /** Waits for a final status, advancing the clock whenever the current command is scripted silent or late. */
    const settle = async (trip: string, statuses?: string[]) => {
      const stalls = (step: number, phase: string) =>
        ['silent', 'late'].includes(scripts.get(trip)?.[`${phase}${step}`] ?? 'ok');
      for (;;) {
        try {
          return await h.settled(trip, statuses, 200);
        } catch {
          await h.advanceClock(trip, stalls);
        }
      }
    };

    it('every participant succeeds: completed, each effect once', async () => {
      expect(await run('ok-1', {})).toBe('completed');
      expect(await h.effects('ok-1')).toEqual(['do0', 'do1', 'do2']);
    });

    it('a decline compensates the completed steps in reverse', async () => {
      expect(await run('decline-1', { do1: 'decline' })).toBe('compensated');
      expect(await h.effects('decline-1')).toEqual(['do0', 'undo0']);
    });

    it('a silent participant times out: its step and the earlier ones are compensated', async () => {
      expect(await run('silent-2', { do2: 'silent' })).toBe('compensated');
      expect(await h.effects('silent-2')).toEqual(['do0', 'do1', 'undo2', 'undo1', 'undo0']);
    });

    it('a duplicated reply is dropped by the inbox', async () => {
      expect(await run('dup-0', { do0: 'duplicate', do1: 'duplicate' })).toBe('completed');
      expect(await h.effects('dup-0')).toEqual(['do0', 'do1', 'do2']);
      const history = await h.sql.query<{ kind: string }>(
        'SELECT kind FROM saga_history WHERE instance_id = $1 ORDER BY seq',
        [instanceId('trip', 'dup-0')],
      );
      expect(history.rows.map((r) => r.kind)).toEqual([
        'started',
        'step_completed',
        'step_completed',
        'completed',
      ]);
    });

    it('a reply reordered after its timeout is parked and recorded; the step is compensated', async () => {
      expect(await run('late-1', { do1: 'late' })).toBe('compensated');
      expect(await h.effects('late-1')).toEqual(['do0', 'do1', 'undo1', 'undo0']);
      const id = instanceId('trip', 'late-1');
      await expect
        .poll(
          async () => (await h.sql.query('SELECT reason FROM saga_parked WHERE instance_id = $1', [id])).rows,
          { timeout: 10_000 },
        )
        .toEqual([{ reason: expect.stringMatching(/late or unrelated reply/) }]);
      const parked = await h.sql.query(
        "SELECT 1 FROM saga_history WHERE instance_id = $1 AND kind = 'message_parked'",
        [id],
      );
      expect(parked.rowCount).toBe(1);
    });

    it('a compensation that keeps failing ends in compensation_failed; resume-compensation finishes it', async () => {
      expect(await run('undo-fails', { do1: 'decline', undo0: 'decline' })).toBe('compensation_failed');
      const id = instanceId('trip', 'undo-fails');
      const [w] = [await h.worker([v1])];
      expect((await w!.list({ status: 'compensation_failed' })).map((s) => s.key)).toContain('undo-fails');
      expect((await h.sql.query('SELECT 1 FROM saga_timer WHERE instance_id = $1', [id])).rowCount).toBe(0);
      scripts.set('undo-fails', {});
      expect(await w!.resumeCompensation(id)).toBe('compensating');
      expect(await settle('undo-fails', ['compensated'])).toBe('compensated');
      const shown = await w!.show(id);
      expect(shown.history.map((e) => e.kind)).toEqual([
        'started',
        'step_completed',
        'step_declined',
        'compensation_declined',
        'compensation_retried',
        'compensation_failed',
        'compensation_resumed',
        'compensated',
      ]);
      await expect(w!.abort(id)).rejects.toMatchObject({ code: 'SAGA_ACTION_NOT_ALLOWED' });
    });

    it('two concurrent starts with one key make one instance (the second is parked)', async () => {
      const engine = createSagaEngine({ registry: createSagaRegistry([v1]), source: '/services/trips' });
      const keys = Array.from({ length: 10 }, (_, i) => `same-key-${i}`);
      const starts = keys.flatMap((key) => {
        scripts.set(key, {});
        return [0, 1].map(() =>
          createEvent(TripBooked, { subject: key, data: {}, source: '/services/booking' }),
        );
      });
      const outcomes = await Promise.all(starts.map((e) => h.sql.transaction((tx) => engine.handle(tx, e))));
      for (let i = 0; i < keys.length; i++) {
        expect(outcomes.slice(2 * i, 2 * i + 2).sort()).toEqual(['parked', 'started']);
      }
      const rows = await h.sql.query('SELECT id FROM saga_instance WHERE saga_key = ANY($1)', [keys]);
      expect(rows.rowCount).toBe(keys.length);
      for (const key of keys) expect(await settle(key)).toBe('completed');
    });

    it('concurrent replies on two workers lose no update: both recorded, history seq without gaps', async () => {
      const engine = createSagaEngine({ registry: createSagaRegistry([v1]), source: '/services/trips' });
      scripts.set('race', { do0: 'silent' });
      await h.book('race');
      const id = instanceId('trip', 'race');
      await expect
        .poll(async () => (await h.sql.query('SELECT 1 FROM saga_instance WHERE id = $1', [id])).rowCount)
        .toBe(1);
      const { commandId } = await import('../src/index.ts');
      const reply = (causationId: string) =>
        createEvent(StepDone, {
          subject: 'race',
          data: { step: 0 },
          source: '/services/p',
          correlationId: id,
          causationId,
        });
      const results = await Promise.all(
        [reply(commandId(id, 0, 'do', 1)), reply(commandId(id, 0, 'do', 1))].map((e) =>
          h.sql.transaction((tx) => engine.handle(tx, e)),
        ),
      );
      expect(results.sort()).toEqual(['parked', 'transition']);
      const seqs = await h.sql.query<{ seq: number }>(
        'SELECT seq FROM saga_history WHERE instance_id = $1 ORDER BY seq',
        [id],
      );
      expect(seqs.rows.map((r) => r.seq)).toEqual(seqs.rows.map((_, i) => i + 1));
      expect(seqs.rowCount).toBeGreaterThanOrEqual(3);
    });
  },
);
