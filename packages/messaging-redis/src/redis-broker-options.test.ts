import { describe, expect, it } from 'vitest';
import {
  REDIS_BROKER_DEFAULTS,
  type RedisBrokerOptions,
  resolveRedisBrokerOptions,
} from './redis-broker-options.ts';

function codeOf(options: RedisBrokerOptions): string | undefined {
  try {
    resolveRedisBrokerOptions(options);
    return undefined;
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
}

const url = 'redis://127.0.0.1:6379';

describe('resolveRedisBrokerOptions', () => {
  it('applies the documented defaults', () => {
    expect(resolveRedisBrokerOptions({ url })).toMatchObject({ ...REDIS_BROKER_DEFAULTS, url });
  });

  it('names the first bad option', () => {
    expect(codeOf({})).toMatch(/^REDIS_BUS_OPTIONS_INVALID: .*url/);
    expect(codeOf({ url: 'amqp://x:1' })).toMatch(/url.*redis:\/\//);
    expect(codeOf({ url, partitions: 0 })).toMatch(/partitions/);
    expect(codeOf({ url, prefix: 'a:b' })).toMatch(/prefix/);
    expect(codeOf({ url, retentionMs: 1000 })).toMatch(/retentionMs/);
    expect(codeOf({ url, heartbeatMs: 1000, sessionTimeoutMs: 1500 })).toMatch(/sessionTimeoutMs/);
    expect(codeOf({ url, blockMs: 1.5 })).toMatch(/blockMs/);
    expect(codeOf({ url: 'rediss://u:p@h:6380/2', retentionMs: 0, partitions: 4 })).toBeUndefined();
  });
});
