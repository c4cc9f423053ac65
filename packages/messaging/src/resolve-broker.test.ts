import { isOutrigError } from '@outrig/core/errors';
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker } from './broker.ts';
import { createMemoryBroker, type MemoryBroker } from './memory/memory-broker.ts';
import { sharedMemoryHub } from './memory/memory-hub.ts';
import { resolveBroker } from './resolve-broker.ts';

const open: Broker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

function broker(): MemoryBroker {
  const b = createMemoryBroker();
  open.push(b);
  return b;
}

describe('resolveBroker', () => {
  it('resolves memory: to a private broker and memory://name to a shared hub', async () => {
    const a = await resolveBroker('memory:');
    const b = await resolveBroker('memory:');
    const c = await resolveBroker('memory://shop');
    open.push(a, b, c);
    expect(a.name).toBe('memory');
    expect((a as MemoryBroker).hub).not.toBe((b as MemoryBroker).hub);
    expect((c as MemoryBroker).hub).toBe(sharedMemoryHub('shop'));
  });

  it('returns an instance as is, and builds { type, options }', async () => {
    const instance = broker();
    expect(await resolveBroker(instance)).toBe(instance);
    const typed = await resolveBroker({ type: 'memory', options: { ackTimeoutMs: 5 } });
    open.push(typed);
    expect(typed.name).toBe('memory');
  });

  it('names the URL and the supported schemes for an unknown scheme, without the password', async () => {
    const error = await resolveBroker('kafkaa://user:secret@host:9092').catch((e: unknown) => e);
    expect(isOutrigError(error, 'BUS_URL_INVALID')).toBe(true);
    expect((error as Error).message).toContain('kafkaa://***@host:9092');
    expect((error as Error).message).not.toContain('secret');
    expect((error as Error).message).toContain('nats://');
  });

  it('imports the adapter package for postgres:// and nats:// and passes the URL', async () => {
    const calls: { specifier: string; options: unknown }[] = [];
    const fake = broker();
    const importModule = async (specifier: string) => {
      const factory = (options: unknown) => {
        calls.push({ specifier, options });
        return fake;
      };
      return { createPostgresBroker: factory, createNatsBroker: factory, createKafkaBroker: factory };
    };
    await resolveBroker('postgresql://db/app', { importModule, postgres: { pollMs: 50 } });
    await resolveBroker('nats://a:4222,nats://b:4222', { importModule });
    await resolveBroker('kafka://a:9092,b:9093', { importModule, kafka: { topicPrefix: 'shop.' } });
    expect(calls).toEqual([
      { specifier: '@outrig/messaging-postgres', options: { pollMs: 50, url: 'postgresql://db/app' } },
      { specifier: '@outrig/messaging-nats', options: { servers: ['nats://a:4222', 'nats://b:4222'] } },
      {
        specifier: '@outrig/messaging-kafka',
        options: { topicPrefix: 'shop.', brokers: 'kafka://a:9092,b:9093' },
      },
    ]);
  });

  it('imports the adapter package for amqp:// and redis:// and passes the URL with the options', async () => {
    const calls: { specifier: string; options: unknown }[] = [];
    const fake = broker();
    const importModule = async (specifier: string) => {
      const factory = (options: unknown) => {
        calls.push({ specifier, options });
        return fake;
      };
      return { createRabbitMqBroker: factory, createRedisBroker: factory };
    };
    await resolveBroker('amqp://guest:guest@mq:5672/shop', { importModule, rabbitmq: { partitions: 4 } });
    await resolveBroker('rediss://cache:6380/2', { importModule, redis: { prefix: 'shop' } });
    expect(calls).toEqual([
      {
        specifier: '@outrig/messaging-rabbitmq',
        options: { partitions: 4, url: 'amqp://guest:guest@mq:5672/shop' },
      },
      { specifier: '@outrig/messaging-redis', options: { prefix: 'shop', url: 'rediss://cache:6380/2' } },
    ]);
  });

  it('says which package to install when the adapter is missing', async () => {
    const importModule = async (specifier: string) => {
      throw Object.assign(new Error(`Cannot find package '${specifier}' imported from /app`), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    };
    const error = await resolveBroker('nats://localhost:4222', { importModule }).catch((e: unknown) => e);
    expect(isOutrigError(error, 'BUS_ADAPTER_MISSING')).toBe(true);
    expect((error as Error).message).toContain('npm i @outrig/messaging-nats');
    const kafka = await resolveBroker('kafka://localhost:9092', { importModule }).catch((e: unknown) => e);
    expect(isOutrigError(kafka, 'BUS_ADAPTER_MISSING')).toBe(true);
    expect((kafka as Error).message).toContain('npm i @outrig/messaging-kafka');
  });

  it('reports a package without the expected factory', async () => {
    const error = await resolveBroker('postgres://db/app', { importModule: async () => ({}) }).catch(
      (e: unknown) => e,
    );
    expect(isOutrigError(error, 'BUS_ADAPTER_INVALID')).toBe(true);
  });
});
