import { describeBrokerConformance, RabbitMqServer, rabbitMqServerInstalled } from '@outrig/testing';
import { afterAll, beforeAll } from 'vitest';
import { createRabbitMqBroker, type RabbitMqBroker } from '../src/index.ts';
import { uniqueSuffix } from './helpers.ts';

// A private RabbitMQ node, because the reconnect check stops and restarts it (the shared one
// on 5672 is used by everyone else and must never be restarted). It boots in 10–30 s.
const ok = rabbitMqServerInstalled();
const prefix = `c${uniqueSuffix()}`;
let server: RabbitMqServer | undefined;

beforeAll(async () => {
  if (ok) server = await RabbitMqServer.start();
}, 150_000);

afterAll(async () => {
  await server?.dispose();
});

describeBrokerConformance({
  name: 'rabbitmq (quorum queues)',
  available: async () => server !== undefined,
  // Few partitions (each is a quorum queue); short heartbeats so a crashed member's partitions
  // move within the check's timeout.
  create: () =>
    createRabbitMqBroker({
      url: server!.url,
      prefix,
      partitions: 4,
      heartbeatMs: 200,
      requestTimeoutMs: 5000,
    }),
  // A crash: the connection closes without acking; the broker does not reconnect.
  crash: async (broker) => {
    await (broker as RabbitMqBroker).connection?.close();
  },
  restartServer: () => server!.restart(),
  // The restart check waits for a whole node boot.
  timeoutMs: 120_000,
});
