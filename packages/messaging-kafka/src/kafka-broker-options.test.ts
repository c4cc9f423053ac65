import { describe, expect, it } from 'vitest';
import {
  KAFKA_BROKER_DEFAULTS,
  type KafkaBrokerOptions,
  resolveKafkaBrokerOptions,
} from './kafka-broker-options.ts';

function codeOf(options: KafkaBrokerOptions): string | undefined {
  try {
    resolveKafkaBrokerOptions(options);
    return undefined;
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
}

describe('resolveKafkaBrokerOptions', () => {
  it('applies the documented defaults', () => {
    const o = resolveKafkaBrokerOptions({ brokers: 'kafka://127.0.0.1:9092' });
    expect(o).toMatchObject({ ...KAFKA_BROKER_DEFAULTS, brokers: ['127.0.0.1:9092'] });
  });

  it('reads BUS_URL-style broker lists', () => {
    const list = (brokers: KafkaBrokerOptions['brokers']) => resolveKafkaBrokerOptions({ brokers }).brokers;
    expect(list('kafka://a:9093,b:9094')).toEqual(['a:9093', 'b:9094']);
    expect(list('kafka://a,kafka://b:1')).toEqual(['a:9092', 'b:1']);
    expect(list(['a:1', 'kafka://b:2'])).toEqual(['a:1', 'b:2']);
  });

  it('names the first bad option', () => {
    expect(codeOf({} as KafkaBrokerOptions)).toMatch(/^KAFKA_OPTIONS_INVALID: .*brokers/);
    expect(codeOf({ brokers: 'nats://x:1' })).toMatch(/brokers.*kafka:\/\//);
    expect(codeOf({ brokers: ' , ' })).toMatch(/brokers/);
    expect(codeOf({ brokers: 'kafka://user:pw@x:1' })).toMatch(/brokers.*credentials/);
    expect(codeOf({ brokers: 'x:1', sessionTimeoutMs: 2000 })).toMatch(/sessionTimeoutMs/);
    expect(codeOf({ brokers: 'x:1', heartbeatIntervalMs: 6000 })).toMatch(/heartbeatIntervalMs/);
    expect(codeOf({ brokers: 'x:1', topicPrefix: 'a/b' })).toMatch(/topicPrefix/);
    expect(codeOf({ brokers: 'x:1', idempotent: 'yes' as unknown as boolean })).toMatch(/idempotent/);
    expect(codeOf({ brokers: 'x:1', maxBuffered: 0 })).toMatch(/maxBuffered/);
    expect(codeOf({ brokers: 'x:1', topicPrefix: 'shop-', idempotent: false })).toBeUndefined();
  });
});
