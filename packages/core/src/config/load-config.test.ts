import { describe, expect, it } from 'vitest';
import { isOutrigError } from '../errors/outrig-error.ts';
import { bool, int, list, oneOf, port, str, url } from './config-key.ts';
import { describeConfig, loadConfig } from './load-config.ts';

const schema = {
  name: str({ env: 'SERVICE_NAME', doc: 'name' }),
  port: port({ env: 'SERVICE_PORT', doc: 'port', default: 8000 }),
  level: oneOf(['info', 'debug'] as const, { env: 'LOG_LEVEL', doc: 'level', default: 'info' }),
  flag: bool({ env: 'FLAG', doc: 'flag', default: false }),
  retries: int({ env: 'RETRIES', doc: 'retries', default: 3, min: 0, max: 10 }),
  bus: url({ env: 'BUS_URL', doc: 'bus', default: 'memory:', schemes: ['memory', 'nats'] }),
  origins: list({ env: 'ORIGINS', doc: 'origins', default: [] }),
  optional: str({ env: 'OPT', doc: 'optional', optional: true }),
};

describe('loadConfig', () => {
  it('parses values and applies defaults', () => {
    const c = loadConfig(schema, { SERVICE_NAME: 'a', SERVICE_PORT: '9000', FLAG: 'yes', ORIGINS: 'x, y' });
    expect(c).toEqual({
      name: 'a',
      port: 9000,
      level: 'info',
      flag: true,
      retries: 3,
      bus: 'memory:',
      origins: ['x', 'y'],
      optional: undefined,
    });
  });

  it('reports every bad variable by name with what it expects', () => {
    try {
      loadConfig(schema, { SERVICE_PORT: 'abc', LOG_LEVEL: 'loud', RETRIES: '11', BUS_URL: 'http://x' });
      expect.unreachable();
    } catch (err) {
      expect(isOutrigError(err, 'CONFIG_INVALID')).toBe(true);
      const problems = (err as { details: { problems: { variable: string; expected: string }[] } }).details
        .problems;
      expect(problems.map((p) => p.variable)).toEqual([
        'SERVICE_NAME',
        'SERVICE_PORT',
        'LOG_LEVEL',
        'RETRIES',
        'BUS_URL',
      ]);
      expect((err as Error).message).toContain(
        'SERVICE_PORT="abc" is invalid: expected an integer between 0 and 65535',
      );
      expect((err as Error).message).toContain('LOG_LEVEL="loud" is invalid: expected one of info, debug');
      expect((err as Error).message).toContain('SERVICE_NAME is required');
    }
  });

  it('accepts a comma-separated server list where a URL key allows it', () => {
    const servers = { bus: url({ env: 'BUS_URL', doc: 'bus', schemes: ['kafka', 'nats'], hostList: true }) };
    expect(loadConfig(servers, { BUS_URL: 'kafka://a:9092,b:9093' }).bus).toBe('kafka://a:9092,b:9093');
    expect(loadConfig(servers, { BUS_URL: 'nats://a:4222,nats://b:4222' }).bus).toBe(
      'nats://a:4222,nats://b:4222',
    );
    expect(() => loadConfig(servers, { BUS_URL: 'kafka://a:9092,http://b:1' })).toThrow(/BUS_URL/);
    expect(() => loadConfig(servers, { BUS_URL: 'kafka://a:9092,' })).toThrow(/BUS_URL/);
    expect(() => loadConfig(schema, { SERVICE_NAME: 'a', BUS_URL: 'nats://a:1,b:2' })).toThrow(/BUS_URL/);
  });

  it('renders a documentation table', () => {
    expect(describeConfig(schema)).toContain(
      '| `SERVICE_PORT` | `8000` | port (an integer between 0 and 65535) |',
    );
  });
});
