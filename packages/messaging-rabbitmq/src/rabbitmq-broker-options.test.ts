import { describe, expect, it } from 'vitest';
import {
  RABBITMQ_BROKER_DEFAULTS,
  type RabbitMqBrokerOptions,
  resolveRabbitMqBrokerOptions,
} from './rabbitmq-broker-options.ts';

function codeOf(options: RabbitMqBrokerOptions): string | undefined {
  try {
    resolveRabbitMqBrokerOptions(options);
    return undefined;
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
}

const url = 'amqp://guest:guest@127.0.0.1:5672';

describe('resolveRabbitMqBrokerOptions', () => {
  it('applies the documented defaults', () => {
    const o = resolveRabbitMqBrokerOptions({ url });
    expect(o).toMatchObject({ ...RABBITMQ_BROKER_DEFAULTS, url, sessionTimeoutMs: 3000 });
  });

  it('names the first bad option', () => {
    expect(codeOf({} as RabbitMqBrokerOptions)).toMatch(/^RABBITMQ_OPTIONS_INVALID: .*url/);
    expect(codeOf({ url: 'redis://x:1' })).toMatch(/url.*amqp:\/\//);
    expect(codeOf({ url: 'not a url' })).toMatch(/url/);
    expect(codeOf({ url, partitions: 0 })).toMatch(/partitions/);
    expect(codeOf({ url, prefix: 'a.b' })).toMatch(/prefix/);
    expect(codeOf({ url, deliveryLimit: -1 })).toMatch(/deliveryLimit/);
    expect(codeOf({ url, heartbeatMs: 1000, sessionTimeoutMs: 1500 })).toMatch(/sessionTimeoutMs/);
    expect(codeOf({ url, reconnectDelayMs: 500, maxReconnectDelayMs: 100 })).toMatch(/maxReconnectDelayMs/);
    expect(codeOf({ url: 'amqps://u:p@h/vhost', deliveryLimit: 0, partitions: 4 })).toBeUndefined();
  });
});
