import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describeBrokerConformance, NatsServer, natsServerInstalled } from '@outrig/testing';
import { afterAll, beforeAll } from 'vitest';
import { createNatsBroker, type NatsBroker } from '../src/index.ts';
import { deleteStreams, uniqueSuffix } from './helpers.ts';

// A private nats-server, because the reconnect check restarts it (the shared one on 4222 is
// used by everyone else and must never be restarted).
const ok = natsServerInstalled();
const prefix = `C${uniqueSuffix()}`;
let server: NatsServer | undefined;

beforeAll(async () => {
  if (ok) server = await NatsServer.start();
});

afterAll(async () => {
  await server?.dispose();
});

describeBrokerConformance({
  name: 'nats (JetStream)',
  available: async () => server !== undefined,
  // Short ack wait so a crashed member's message is redelivered within the check's timeout.
  create: () =>
    createNatsBroker({ servers: server!.url, streamPrefix: prefix, ackWaitMs: 1000, requestTimeoutMs: 2000 }),
  // A crash: the connection drops without acking, nacking or draining.
  crash: async (broker) => {
    await (broker as NatsBroker).connection.close();
  },
  restartServer: () => server!.restart(),
  // Every consumer (durable or ephemeral) on the topics' streams, asked on a connection of its own.
  leftovers: async (topics) => {
    const nc = await connect({ servers: new URL(server!.url).host });
    try {
      const jsm = await jetstreamManager(nc);
      const found: string[] = [];
      for (const topic of topics) {
        const stream = `${prefix}_${topic.replaceAll('.', '_')}`;
        for await (const c of jsm.consumers.list(stream)) found.push(`consumer ${stream}/${c.name}`);
      }
      return found;
    } finally {
      await nc.close();
    }
  },
  cleanup: () => deleteStreams(server!.url, prefix),
});
