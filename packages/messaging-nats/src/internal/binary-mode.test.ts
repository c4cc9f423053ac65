import { MsgHdrsImpl } from '@nats-io/transport-node';
import type { CloudEvent } from '@outrig/messaging';
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, percentDecode, percentEncode } from './binary-mode.ts';

const event: CloudEvent<{ sku: string; qty: number }> = {
  specversion: '1.0',
  id: '0192f0c4-7d1e-7a3b-8c4d-000000000001',
  source: '/services/inventory',
  type: 'product.created',
  subject: 'p-1',
  time: '2026-11-21T10:00:00.000Z',
  datacontenttype: 'application/json',
  data: { sku: 'Ä "weird" sku', qty: 3 },
  aggregatetype: 'product',
  aggregateversion: 7,
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  baggage: 'user=alice, tenant=a b',
};

/** What the receiving side sees: headers as they come off the wire. */
function overTheWire(headers: MsgHdrsImpl) {
  return MsgHdrsImpl.decode(headers.encode());
}

describe('binary mode', () => {
  it('carries attributes as ce- headers and data as the JSON body', () => {
    const { headers, payload } = encodeEvent(event, 'p-1');
    expect(headers.get('ce-id')).toBe(event.id);
    expect(headers.get('ce-type')).toBe('product.created');
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('ce-aggregateversion')).toBe('7');
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(event.data);
  });

  it('round-trips the event and key through encoded headers', () => {
    const { headers, payload } = encodeEvent(event, 'key with spaces\nand newline');
    const decoded = decodeEvent(overTheWire(headers as MsgHdrsImpl), payload);
    expect(decoded.event).toEqual(event);
    expect(decoded.key).toBe('key with spaces\nand newline');
  });

  it('carries the hop trace context as plain traceparent/tracestate/baggage headers, apart from the event', () => {
    const hop = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01',
      tracestate: 'vendor=a',
      baggage: 'tenant=acme',
    };
    const { headers, payload } = encodeEvent(event, 'p-1', hop);
    expect(headers.get('traceparent')).toBe(hop.traceparent);
    expect(headers.get('ce-traceparent')).toBe(event.traceparent); // the producer's, unchanged
    const decoded = decodeEvent(overTheWire(headers as MsgHdrsImpl), payload);
    expect(decoded.traceContext).toEqual(hop);
    expect(decoded.event).toEqual(event);
  });

  it('has no hop trace context without the headers, and drops a value a header cannot carry', () => {
    const plain = encodeEvent(event, 'p-1');
    expect(
      decodeEvent(overTheWire(plain.headers as MsgHdrsImpl), plain.payload).traceContext,
    ).toBeUndefined();
    const broken = encodeEvent(event, 'p-1', {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01',
      baggage: 'a=1\r\nx-injected: 1',
    });
    expect(broken.headers.has('baggage')).toBe(false);
    expect(broken.headers.has('x-injected')).toBe(false);
    expect(decodeEvent(overTheWire(broken.headers as MsgHdrsImpl), broken.payload).traceContext).toEqual({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01',
    });
  });

  it('rejects events that cannot be represented', () => {
    const withObject = { ...event, causationid: { nested: true } } as unknown as CloudEvent;
    expect(() => encodeEvent(withObject, 'k')).toThrow(
      expect.objectContaining({ code: 'NATS_EVENT_INVALID' }),
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeEvent({ ...event, data: cyclic }, 'k')).toThrow(
      expect.objectContaining({ code: 'NATS_EVENT_INVALID' }),
    );
  });

  it('refuses messages without the required attributes', () => {
    expect(() => decodeEvent(undefined, new Uint8Array())).toThrow('no headers');
    const { headers, payload } = encodeEvent(event, 'k');
    headers.delete('ce-source');
    expect(() => decodeEvent(headers, payload)).toThrow('missing ce-source');
  });

  it('percent-encodes exactly the characters the HTTP binding names', () => {
    expect(percentEncode('a b"%é\r')).toBe('a%20b%22%25%C3%A9%0D');
    expect(percentEncode('plain-ascii_~!')).toBe('plain-ascii_~!');
    expect(percentDecode(percentEncode('a b"%é\r'))).toBe('a b"%é\r');
  });
});
