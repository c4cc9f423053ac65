import { describe, expect, it } from 'vitest';
import { busEvent } from './bus-panel.ts';

const at = new Date('2026-01-01T00:00:00.000Z');

describe('busEvent', () => {
  it('reads a CloudEvent row of the bus log, with the trace id of its traceparent', () => {
    const e = busEvent(
      'product.events',
      3,
      42,
      JSON.stringify({
        id: 'e1',
        type: 'product.created',
        source: '/services/inventory-service',
        subject: 'p1',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        data: { name: 'Lamp' },
      }),
      at,
    );
    expect(e).toEqual({
      topic: 'product.events',
      partition: 3,
      offset: 42,
      id: 'e1',
      type: 'product.created',
      source: '/services/inventory-service',
      subject: 'p1',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      time: '2026-01-01T00:00:00.000Z',
      data: { name: 'Lamp' },
    });
  });

  it('says why a dead-lettered event was given up on', () => {
    const e = busEvent(
      'product.events.dlq',
      0,
      1,
      JSON.stringify({
        id: 'e2',
        type: 'product.created',
        source: '/services/inventory-service',
        deadletterreason: 'handler_failed: boom',
        deadletterattempts: 5,
        deadlettergroup: 'notification-service',
        deadlettertopic: 'product.events',
      }),
      at,
    );
    expect(e.deadLetter).toEqual({
      reason: 'handler_failed: boom',
      attempts: 5,
      group: 'notification-service',
      topic: 'product.events',
    });
    expect(busEvent('t', 0, 1, 'not json', at)).toMatchObject({ id: '', type: '' });
  });
});
