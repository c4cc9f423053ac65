import { createEvent } from '@outrig/messaging';
import { describe, expect, it } from 'vitest';
import { commandId, instanceId, SAGA_STATUS_EDGES, sagaSpecification } from '../src/index.ts';
import {
  StepDeclined,
  StepDone,
  StepUndone,
  TripBooked,
  tripSaga,
  UndoDeclined,
} from './fixtures/trip-saga.ts';

const booked = (trip = 't-1') =>
  createEvent(TripBooked, { subject: trip, data: {}, source: '/services/test' });

describe('saga specification helper (no database)', () => {
  it('a start sends the first command with a deterministic id and arms the step timer', () => {
    const spec = sagaSpecification(tripSaga({ timeoutMs: 5000, deadlineMs: 60_000 }));
    const out = spec.when(booked());
    expect(out.status).toBe('running');
    const id = instanceId('trip', 't-1');
    expect(out.commands).toHaveLength(1);
    expect(out.commands[0]).toMatchObject({
      id: commandId(id, 0, 'do', 1),
      type: 'participant.do',
      correlationid: id,
      data: { trip: 't-1', step: 0 },
    });
    expect(out.timers.map((t) => [t.name, t.dueAt])).toEqual([
      ['step', 5000],
      ['deadline', 60_000],
    ]);
  });

  it('all steps succeed: completed, data folded, no timer left', () => {
    const spec = sagaSpecification(tripSaga({ deadlineMs: 60_000 })).given(booked());
    spec.when(spec.reply(StepDone, { step: 0, note: 'AF123' }));
    spec.when(spec.reply(StepDone, { step: 1, note: 'Ritz' }));
    const out = spec.when(spec.reply(StepDone, { step: 2, note: 'Fiat' }));
    expect(out.status).toBe('completed');
    expect(out.data.notes).toEqual(['AF123', 'Ritz', 'Fiat']);
    expect(out.timers).toEqual([]);
    expect(spec.sent.map((c) => `${c.type}:${(c.data as { step: number }).step}`)).toEqual([
      'participant.do:0',
      'participant.do:1',
      'participant.do:2',
    ]);
  });

  it('a decline at step 2 compensates steps 1 and 0, in reverse, not the declined one', () => {
    const spec = sagaSpecification(tripSaga()).given(booked());
    spec.when(spec.reply(StepDone, { step: 0 }));
    spec.when(spec.reply(StepDone, { step: 1 }));
    let out = spec.when(spec.reply(StepDeclined, { step: 2 }));
    expect(out.status).toBe('compensating');
    expect(out.commands.map((c) => [c.type, (c.data as { step: number }).step])).toEqual([
      ['participant.undo', 1],
    ]);
    out = spec.when(spec.reply(StepUndone, { step: 1 }));
    expect(out.commands.map((c) => [c.type, (c.data as { step: number }).step])).toEqual([
      ['participant.undo', 0],
    ]);
    out = spec.when(spec.reply(StepUndone, { step: 0 }));
    expect(out.status).toBe('compensated');
    expect(spec.instance?.state.compensated).toEqual([1, 0]);
    expect(out.timers).toEqual([]);
  });

  it('a step that times out is compensated too (its outcome is unknown), then the earlier ones', () => {
    const spec = sagaSpecification(tripSaga({ timeoutMs: 1000 })).given(booked());
    spec.when(spec.reply(StepDone, { step: 0 }));
    expect(spec.whenTimePasses(999).commands).toEqual([]);
    const out = spec.whenTimePasses(1);
    expect(out.history.map((h) => h.kind)).toEqual(['step_timed_out']);
    expect(out.commands.map((c) => [c.type, (c.data as { step: number }).step])).toEqual([
      ['participant.undo', 1],
    ]);
  });

  it('a late reply after the timeout is parked and recorded, never dropped silently', () => {
    const spec = sagaSpecification(tripSaga({ timeoutMs: 1000 })).given(booked());
    const firstCommand = spec.sent[0]!;
    spec.whenTimePasses(1000);
    const out = spec.when(spec.reply(StepDone, { step: 0 }, firstCommand));
    expect(out.parked[0]).toMatch(/late or unrelated reply/);
    expect(out.history).toEqual([
      expect.objectContaining({ kind: 'message_parked', from: 'compensating', to: 'compensating' }),
    ]);
    expect(out.status).toBe('compensating');
  });

  it('the deadline compensates a running saga; a superseded step timer has no effect', () => {
    const spec = sagaSpecification(tripSaga({ timeoutMs: 50_000, deadlineMs: 80_000 })).given(booked());
    spec.whenTimePasses(40_000);
    spec.when(spec.reply(StepDone, { step: 0 })); // re-arms the step timer at 90 000
    const out = spec.whenTimePasses(45_000); // 85 000: only the deadline is due
    expect(out.history.map((h) => h.kind)).toEqual(['deadline_passed']);
    expect(out.commands.map((c) => (c.data as { step: number }).step)).toEqual([1]);
    expect(out.timers.map((t) => t.name)).toEqual(['step']);
  });

  it('a compensation that keeps failing ends in compensation_failed; resume sends a new attempt', () => {
    const spec = sagaSpecification(tripSaga({ undoAttempts: 2 })).given(booked());
    spec.when(spec.reply(StepDeclined, { step: 0 }));
    expect(spec.instance?.status).toBe('compensated'); // nothing attempted before step 0 completed
    const spec2 = sagaSpecification(tripSaga({ undoAttempts: 2 })).given(booked());
    spec2.when(spec2.reply(StepDone, { step: 0 }));
    spec2.when(spec2.reply(StepDeclined, { step: 1 }));
    spec2.when(spec2.reply(UndoDeclined, { step: 0 }));
    const retried = spec2.whenTimePasses(10); // backoff
    expect(retried.commands).toHaveLength(1);
    expect(retried.commands[0]!.id).toBe(commandId(spec2.instance!.id, 0, 'undo', 2));
    const failed = spec2.when(spec2.reply(UndoDeclined, { step: 0 }));
    expect(failed.status).toBe('compensation_failed');
    expect(failed.timers).toEqual([]);
    const resumed = spec2.whenOperator('resume');
    expect(resumed.status).toBe('compensating');
    expect(resumed.commands[0]!.id).toBe(commandId(spec2.instance!.id, 0, 'undo', 3));
    expect(spec2.when(spec2.reply(StepUndone, { step: 0 })).status).toBe('compensated');
  });

  it('abort compensates the running step and the completed ones; abort of a finished saga is refused', () => {
    const spec = sagaSpecification(tripSaga()).given(booked());
    spec.when(spec.reply(StepDone, { step: 0 }));
    const out = spec.whenOperator('abort');
    expect(out.history[0]).toMatchObject({ kind: 'aborted', from: 'running', to: 'compensating' });
    expect(spec.instance?.state.pending).toEqual([1, 0]);
    spec.when(spec.reply(StepUndone, { step: 1 }));
    spec.when(spec.reply(StepUndone, { step: 0 }));
    expect(() => spec.whenOperator('abort')).toThrow(
      expect.objectContaining({ code: 'SAGA_ACTION_NOT_ALLOWED' }),
    );
  });

  it('every history of these runs is a valid path', () => {
    const spec = sagaSpecification(tripSaga({ timeoutMs: 10, undoTimeoutMs: 10 })).given(booked());
    spec.whenTimePasses(100_000);
    let from: string = 'null';
    for (const h of spec.history) {
      expect(String(h.from ?? 'null')).toBe(from);
      expect(SAGA_STATUS_EDGES[from as keyof typeof SAGA_STATUS_EDGES]).toContain(h.to);
      from = h.to;
    }
    expect(from).toBe('compensation_failed'); // the undo of step 0 never answered: 3 attempts timed out
  });
});
