import { describeBrokerConformance, RedisServer, redisServerInstalled } from '@outrig/testing';
import { afterAll, beforeAll } from 'vitest';
import { createRedisBroker, type RedisBroker } from '../src/index.ts';
import { uniqueSuffix } from './helpers.ts';

// A private redis-server (append-only, fsync always), because the reconnect check SIGKILLs and
// restarts it (the shared one on 6379 is used by everyone else and must never be restarted).
const ok = redisServerInstalled();
const prefix = `c${uniqueSuffix()}`;
let server: RedisServer | undefined;

beforeAll(async () => {
  if (ok) server = await RedisServer.start();
});

afterAll(async () => {
  await server?.dispose();
});

describeBrokerConformance({
  name: 'redis (Streams)',
  available: async () => server !== undefined,
  // Short heartbeats and session timeout so a crashed member's partitions move within the
  // check's timeout.
  create: () =>
    createRedisBroker({
      url: server!.url,
      prefix,
      partitions: 4,
      heartbeatMs: 100,
      sessionTimeoutMs: 600,
      blockMs: 500,
      requestTimeoutMs: 2000,
    }),
  // A crash: every connection drops without acking; the broker does not reconnect.
  crash: async (broker) => {
    (broker as RedisBroker).client.disconnect();
  },
  restartServer: () => server!.restart(),
});
