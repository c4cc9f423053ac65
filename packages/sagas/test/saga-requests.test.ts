import { serverAvailable } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandId, instanceId, requestSagaAction, waitForSagaRequest } from '../src/index.ts';
import { tripSaga } from './fixtures/trip-saga.ts';
import type { Behaviour, ScriptedCommand } from './support/participant.ts';
import { type SagaHarness, startSagaHarness } from './support/saga-harness.ts';

const hasPg = await serverAvailable('postgres');

const scripts = new Map<string, Record<string, Behaviour>>();
const script = (cmd: ScriptedCommand): Behaviour =>
  scripts.get(cmd.trip)?.[`${cmd.phase}${cmd.step}`] ?? 'ok';

describe.skipIf(!hasPg)('operator requests in the database (what the CLI records), PostgreSQL', () => {
  let h: SagaHarness;
  // Step timeouts of an hour: a stalled step stays stalled until an operator acts, however slow the machine.
  const v1 = tripSaga({ undoAttempts: 1, timeoutMs: 3_600_000, undoTimeoutMs: 3_600_000 });

  beforeAll(async () => {
    h = await startSagaHarness('saga_requests', script);
    await h.worker([v1]);
  });
  afterAll(() => h?.close());

  const stepOf = async (id: string) =>
    (
      await h.sql.query<{ step: string }>("SELECT state->>'step' AS step FROM saga_instance WHERE id = $1", [
        id,
      ])
    ).rows[0]?.step;

  it('abort: the runtime compensates the attempted steps, and records the outcome', async () => {
    scripts.set('req-abort', { do1: 'silent' });
    await h.book('req-abort');
    const id = instanceId('trip', 'req-abort');
    await expect.poll(() => stepOf(id), { timeout: 10_000 }).toBe('1');
    const request = await requestSagaAction(h.sql, id, 'abort', 'by phone');
    expect(request).toMatchObject({ action: 'abort', reason: 'by phone', saga: 'trip', handledAt: null });
    const done = await waitForSagaRequest(h.sql, request.id, 10_000);
    expect(done).toMatchObject({ outcome: 'compensating', error: null, handledAt: expect.any(Date) });
    expect(await h.settled('req-abort')).toBe('compensated');
    expect(await h.effects('req-abort')).toEqual(['do0', 'undo1', 'undo0']);
    const aborted = await h.sql.query(
      "SELECT detail FROM saga_history WHERE instance_id = $1 AND kind = 'aborted'",
      [id],
    );
    expect(aborted.rows).toEqual([{ detail: { reason: 'aborted: by phone', compensate: [1, 0] } }]);
  });

  it('retry re-sends the current command as a new attempt; resume takes compensation_failed back', async () => {
    scripts.set('req-retry', { do1: 'silent', undo1: 'decline' });
    await h.book('req-retry');
    const id = instanceId('trip', 'req-retry');
    await expect.poll(() => stepOf(id), { timeout: 10_000 }).toBe('1');
    const retry = await waitForSagaRequest(h.sql, (await requestSagaAction(h.sql, id, 'retry')).id, 10_000);
    expect(retry.outcome).toBe('running');
    const sent = await h.sql.query('SELECT 1 FROM outbox WHERE id = $1', [commandId(id, 1, 'do', 2)]);
    expect(sent.rowCount).toBe(1);
    const abort = await waitForSagaRequest(h.sql, (await requestSagaAction(h.sql, id, 'abort')).id, 10_000);
    expect(abort.outcome).toBe('compensating');
    expect(await h.settled('req-retry')).toBe('compensation_failed');
    scripts.set('req-retry', {});
    const resume = await waitForSagaRequest(h.sql, (await requestSagaAction(h.sql, id, 'resume')).id, 10_000);
    expect(resume.outcome).toBe('compensating');
    expect(await h.settled('req-retry', ['compensated'])).toBe('compensated');
    expect(await h.effects('req-retry')).toEqual(['do0', 'undo1', 'undo0']);
    const kinds = await h.sql.query<{ kind: string }>(
      'SELECT kind FROM saga_history WHERE instance_id = $1 ORDER BY seq',
      [id],
    );
    expect(kinds.rows.map((r) => r.kind)).toEqual([
      'started',
      'step_completed',
      'retried',
      'aborted',
      'compensation_failed',
      'compensation_resumed',
      'compensation_completed',
      'compensated',
    ]);
  });

  it('refuses at once what the status does not allow, and an unknown instance', async () => {
    const id = instanceId('trip', 'req-abort'); // compensated above
    await expect(requestSagaAction(h.sql, id, 'retry')).rejects.toMatchObject({
      code: 'SAGA_ACTION_NOT_ALLOWED',
      message: expect.stringContaining('it is compensated'),
    });
    await expect(requestSagaAction(h.sql, id, 'resume')).rejects.toMatchObject({
      message: expect.stringContaining('Cannot resume-compensation'),
    });
    await expect(
      requestSagaAction(h.sql, '00000000-0000-4000-8000-000000000000', 'abort'),
    ).rejects.toMatchObject({ code: 'SAGA_NOT_FOUND' });
  });

  it('a request the status no longer allows when the runtime takes it is marked with its error', async () => {
    const id = instanceId('trip', 'req-abort');
    // As if the instance had finished between the request and the runtime's poll.
    const { rows } = await h.sql.query<{ id: string }>(
      "INSERT INTO saga_request (instance_id, saga, action) VALUES ($1, 'trip', 'abort') RETURNING id::text AS id",
      [id],
    );
    const done = await waitForSagaRequest(h.sql, rows[0]!.id, 10_000);
    expect(done).toMatchObject({
      outcome: null,
      error: { code: 'SAGA_ACTION_NOT_ALLOWED', message: expect.stringContaining('it is compensated') },
    });
    const status = await h.sql.query('SELECT status FROM saga_instance WHERE id = $1', [id]);
    expect(status.rows).toEqual([{ status: 'compensated' }]);
  });
});
