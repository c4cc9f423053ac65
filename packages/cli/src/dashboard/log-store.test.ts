import { describe, expect, it } from 'vitest';
import { LogStore } from './log-store.ts';

const pino = (o: Record<string, unknown>) => JSON.stringify({ time: '2026-01-01T00:00:00.000Z', ...o });

describe('LogStore', () => {
  it('unpacks pino lines and filters by service, level, request id, trace id and text', () => {
    const logs = new LogStore();
    logs.add('a', pino({ level: 'info', msg: 'hello', requestId: 'r1', trace_id: 't1', span_id: 's1' }));
    logs.add('b', pino({ level: 50, msg: 'boom', requestId: 'r2' }));
    logs.add('a', 'not json at all');
    expect(logs.query().map((e) => e.msg)).toEqual(['hello', 'boom', 'not json at all']);
    expect(logs.query({ service: 'b' })[0]).toMatchObject({ level: 'error', requestId: 'r2' });
    expect(logs.query({ level: 'warn' }).map((e) => e.msg)).toEqual(['boom']);
    expect(logs.query({ requestId: 'r1' })[0]).toMatchObject({ traceId: 't1', spanId: 's1' });
    expect(logs.query({ traceId: 't1' })).toHaveLength(1);
    expect(logs.query({ text: 'JSON' }).map((e) => e.service)).toEqual(['a']);
    expect(logs.query({ after: 2 }).map((e) => e.seq)).toEqual([3]);
  });

  it('keeps only the latest lines', () => {
    const logs = new LogStore(2);
    for (const msg of ['1', '2', '3']) logs.add('a', pino({ level: 'info', msg }));
    expect(logs.query().map((e) => e.msg)).toEqual(['2', '3']);
  });
});
