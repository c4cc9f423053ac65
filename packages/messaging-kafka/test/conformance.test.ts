import { describeBrokerConformance, KafkaMock, kafkaMockAvailable } from '@outrig/testing';
import { afterAll, beforeAll } from 'vitest';
import { createKafkaBroker, type KafkaBroker } from '../src/index.ts';

// A private mock cluster per test file (librdkafka's, in memory, its own process), built on
// first use. The reconnect check takes its brokers down and up; the data survives that.
const ok = kafkaMockAvailable();
let mock: KafkaMock | undefined;

beforeAll(async () => {
  if (ok) mock = await KafkaMock.start({ brokers: 1 });
}, 15 * 60_000);

afterAll(async () => {
  await mock?.stop();
});

describeBrokerConformance({
  name: 'kafka (librdkafka mock cluster)',
  available: async () => mock !== undefined,
  // Short session so a crashed member's partitions move within the check's timeout.
  create: () =>
    createKafkaBroker({
      brokers: mock!.url,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      rebalanceTimeoutMs: 6000,
      requestTimeoutMs: 3000,
    }),
  crash: (broker) => (broker as KafkaBroker).destroyForTests(),
  restartServer: () => mock!.outage(1000),
  timeoutMs: 40_000,
});
