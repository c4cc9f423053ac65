import type { OutgoingMessage } from '@outrig/messaging';
import { NatsServer, natsServerInstalled } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBroker, type NatsBroker } from '../src/index.ts';
import { makeEvent, uniqueSuffix, waitFor } from './helpers.ts';

const ok = natsServerInstalled();

/** Publishes until every message is acked, as the outbox relay does (it retries failures). */
async function publishAll(broker: NatsBroker, messages: OutgoingMessage[]): Promise<void> {
  let pending = messages;
  while (pending.length > 0) {
    const results = await broker.publish(pending);
    pending = pending.filter((_, i) => !results[i]!.ok);
  }
}

describe.skipIf(!ok)('NATS JetStream broker across a server restart (private nats-server)', () => {
  let server: NatsServer;
  const brokers: NatsBroker[] = [];
  const prefix = `R${uniqueSuffix()}`;

  beforeAll(async () => {
    server = await NatsServer.start();
  });

  afterAll(async () => {
    await Promise.allSettled(brokers.map((b) => b.close()));
    await server?.dispose();
  });

  it('keeps consuming after the server is killed mid-stream and restarted: nothing lost, order kept', async () => {
    const options = { servers: server.url, streamPrefix: prefix, ackWaitMs: 1000, requestTimeoutMs: 2000 };
    const publisher = await createNatsBroker(options);
    const consumer = await createNatsBroker(options);
    brokers.push(publisher, consumer);
    const topic = 'restart.events';
    const keys = ['a', 'b', 'c', 'd'];
    const firstSeen = new Map<string, number[]>(keys.map((k) => [k, []]));
    const ids = new Set<string>();
    await consumer.subscribe([topic], { group: 'g' }, async (d) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (!ids.has(d.event.id)) {
        ids.add(d.event.id);
        firstSeen.get(d.key)!.push(d.event.aggregateversion!);
      }
      await d.ack().catch(() => {}); // an ack lost in the restart means a redelivery, which is fine
    });
    const batch = (from: number, to: number) =>
      keys.flatMap((key) =>
        Array.from({ length: to - from + 1 }, (_, i) => ({ topic, key, event: makeEvent(key, from + i) })),
      );

    let reconnects = 0;
    void (async () => {
      for await (const s of consumer.connection.status()) if (s.type === 'reconnect') reconnects++;
    })();

    await publishAll(publisher, batch(1, 10));
    // Kill the server mid-stream: some messages handled, some in flight, some still stored.
    await waitFor('the first messages', () => ids.size >= 8);
    await server.restart();
    await publishAll(publisher, batch(11, 20));
    await waitFor('the second half after the restart', () => ids.size === 80, 30_000);

    const inOrder = Array.from({ length: 20 }, (_, i) => i + 1);
    for (const key of keys) expect(firstSeen.get(key)).toEqual(inOrder);
    expect(reconnects).toBeGreaterThan(0);
    await publisher.ping();
  });
});
