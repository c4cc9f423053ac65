import { describe, expect, it } from 'vitest';
import {
  NATS_BROKER_DEFAULTS,
  type NatsBrokerOptions,
  resolveNatsBrokerOptions,
} from './nats-broker-options.ts';

function codeOf(options: NatsBrokerOptions): string | undefined {
  try {
    resolveNatsBrokerOptions(options);
    return undefined;
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
}

describe('resolveNatsBrokerOptions', () => {
  it('applies the documented defaults', () => {
    const o = resolveNatsBrokerOptions({ servers: 'nats://127.0.0.1:4222' });
    expect(o).toMatchObject({ ...NATS_BROKER_DEFAULTS, servers: ['nats://127.0.0.1:4222'] });
  });

  it('names the first bad option', () => {
    expect(codeOf({})).toMatch(/^NATS_OPTIONS_INVALID: .*servers/);
    expect(codeOf({ servers: 'http://x:1' })).toMatch(/servers.*nats:\/\//);
    expect(codeOf({ servers: 'nats://x:1', partitions: 0 })).toMatch(/partitions/);
    expect(codeOf({ servers: 'nats://x:1', ackWaitMs: 1.5 })).toMatch(/ackWaitMs/);
    expect(codeOf({ servers: 'nats://x:1', maxDeliver: 0 })).toMatch(/maxDeliver/);
    expect(codeOf({ servers: 'nats://x:1', streamPrefix: 'a.b' })).toMatch(/streamPrefix/);
    expect(codeOf({ servers: 'nats://x:1', storage: 'disk' as 'file' })).toMatch(/storage/);
    expect(codeOf({ servers: 'nats://x:1', maxAgeMs: 1000, duplicateWindowMs: 2000 })).toMatch(
      /duplicateWindowMs/,
    );
    expect(
      codeOf({ servers: ['nats://a:1', 'tls://b:2'], maxDeliver: 5, storage: 'memory' }),
    ).toBeUndefined();
  });
});
