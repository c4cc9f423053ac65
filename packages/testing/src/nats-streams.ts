import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/**
 * Deletes every JetStream stream named `<prefix>_…` (a test run's unique stream prefix). Needed
 * between runs, not only for tidiness: a stream prefix does not namespace subjects, so a later
 * run's stream for the same topic would overlap and JetStream would refuse to create it.
 *
 * @example
 * afterAll(() => deleteNatsStreams(testServers.nats, prefix));
 */
export async function deleteNatsStreams(url: string, prefix: string): Promise<void> {
  const nc = await connect({ servers: new URL(url).host, maxReconnectAttempts: 5 });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(`${prefix}_`)) names.push(name);
    await Promise.all(names.map((name) => jsm.streams.delete(name)));
  } finally {
    await nc.close();
  }
}
