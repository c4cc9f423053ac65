/** The private nats-server comes from @outrig/testing; stream clean-up between scenarios lives here. */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export { NATS_SERVER_BINARY, NatsServer, natsServerInstalled } from '@outrig/testing';

/**
 * Deletes the streams named `<prefix>_…`. Needed between scenarios, not only for tidiness: a
 * stream prefix does not namespace subjects, so a second scenario's `rel.events` stream would
 * overlap the first one's subjects and JetStream would refuse to create it.
 */
export async function deleteStreams(url: string, prefix: string): Promise<void> {
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
