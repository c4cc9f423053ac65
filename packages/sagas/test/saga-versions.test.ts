import { serverAvailable } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandId, createSagaRuntime, instanceId } from '../src/index.ts';
import { tripSaga } from './fixtures/trip-saga.ts';
import type { Behaviour, ScriptedCommand } from './support/participant.ts';
import { type SagaHarness, startSagaHarness } from './support/saga-harness.ts';

const hasPg = await serverAvailable('postgres');
const silent = new Set<string>();
const script = (cmd: ScriptedCommand): Behaviour =>
  silent.has(`${cmd.trip}/${cmd.phase}${cmd.step}`) ? 'silent' : 'ok';

describe.skipIf(!hasPg)('saga versions and durable timers (PostgreSQL)', () => {
  let h: SagaHarness;
  beforeAll(async () => {
    h = await startSagaHarness('saga_versions', script);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('an instance started on v1 finishes on v1 after v2 is registered; new ones start on v2', async () => {
    const v1 = tripSaga({ version: 1, steps: 3 });
    const v2 = tripSaga({ version: 2, steps: 2 });
    silent.add('old/do1');
    const w1 = await h.worker([v1]);
    await h.book('old');
    await expect
      .poll(
        async () =>
          (await h.sql.query("SELECT state->>'step' AS s FROM saga_instance WHERE saga_key = 'old'")).rows[0],
        {
          timeout: 15_000,
        },
      )
      .toEqual({ s: '1' });
    await w1.stop();
    // The participant has taken (and ignored) the first command before it stops being silent.
    const first = commandId(instanceId('trip', 'old'), 1, 'do', 1);
    await expect
      .poll(
        async () =>
          (
            await h.sql.query("SELECT 1 FROM inbox WHERE consumer_group = 'participant' AND event_id = $1", [
              first,
            ])
          ).rowCount,
        {
          timeout: 15_000,
        },
      )
      .toBe(1);
    // Deploy: v2 is registered next to v1.
    silent.delete('old/do1');
    const w2 = await h.worker([v1, v2]);
    await w2.retry(instanceId('trip', 'old')); // the participant was silent: an operator re-sends
    await h.book('new');
    expect(await h.settled('old')).toBe('completed');
    expect(await h.settled('new')).toBe('completed');
    const rows = await h.sql.query<{ saga_key: string; version: number }>(
      'SELECT saga_key, version FROM saga_instance ORDER BY saga_key',
    );
    expect(rows.rows).toEqual([
      { saga_key: 'new', version: 2 },
      { saga_key: 'old', version: 1 },
    ]);
    expect(await h.effects('old')).toEqual(['do0', 'do1', 'do2']); // three steps: v1's
    expect(await h.effects('new')).toEqual(['do0', 'do1']); // two steps: v2's
    await w2.stop();
  });

  it('start-up fails with SAGA_VERSION_UNREGISTERED while unfinished instances of an unregistered version exist', async () => {
    const v1 = tripSaga({ version: 1 });
    const v3 = tripSaga({ version: 3 });
    silent.add('stuck/do0');
    const w = await h.worker([v1]);
    await h.book('stuck');
    await expect
      .poll(
        async () => (await h.sql.query("SELECT 1 FROM saga_instance WHERE saga_key = 'stuck'")).rowCount,
        { timeout: 15_000 },
      )
      .toBe(1);
    await w.stop();
    const only3 = createSagaRuntime({ sql: h.sql, broker: h.broker, source: '/services/trips', sagas: [v3] });
    await expect(only3.start()).rejects.toMatchObject({
      code: 'SAGA_VERSION_UNREGISTERED',
      details: { saga: 'trip', version: 1, count: 1 },
    });
  });

  it('timers survive a restart: a timer that came due while no worker ran fires when one starts', async () => {
    const v1 = tripSaga({ version: 1 });
    const id = instanceId('trip', 'stuck');
    // The previous test left 'stuck' waiting on a silent step with its timer armed and no worker.
    await h.sql.query(
      "UPDATE saga_timer SET due_at = clock_timestamp() - interval '1 second' WHERE instance_id = $1 AND name = 'step'",
      [id],
    );
    const w = await h.worker([v1]);
    expect(await h.settled('stuck')).toBe('compensated'); // the silent step 0 was compensated
    expect(await h.effects('stuck')).toEqual(['undo0']);
    expect((await h.sql.query('SELECT 1 FROM saga_timer WHERE instance_id = $1', [id])).rowCount).toBe(0);
    const stats = w.stats();
    expect(stats.timersFired).toBeGreaterThanOrEqual(1);
  });
});
