import { connect } from 'amqplib';

/** What {@link deleteRabbitMqTopology} deletes: the names the RabbitMQ adapter derived. */
export interface RabbitMqTopology {
  /** The adapter's `prefix` (a run's unique one). */
  readonly prefix: string;
  readonly topics: readonly string[];
  readonly groups: readonly string[];
  /** The adapter's `partitions`; default 16. */
  readonly partitions?: number;
}

/**
 * Deletes the exchanges and queues the RabbitMQ adapter declared for `topics` × `groups` under
 * a run's unique prefix (AMQP cannot list queues, so the names are rebuilt). For runs on the
 * shared server, which outlives them.
 *
 * @example
 * afterAll(() => deleteRabbitMqTopology(testServers.rabbitmq, { prefix, topics: [topic], groups: [group] }));
 */
export async function deleteRabbitMqTopology(url: string, t: RabbitMqTopology): Promise<void> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    for (const topic of t.topics) {
      for (const group of t.groups) {
        for (let p = 0; p < (t.partitions ?? 16); p++)
          await channel.deleteQueue(`${t.prefix}.${topic}.${group}.${p}`);
        await channel.deleteQueue(`${t.prefix}.${topic}.${group}.dead`);
      }
      await channel.deleteExchange(`${t.prefix}.${topic}`);
    }
    await channel.deleteExchange(`${t.prefix}.members`);
    await channel.close();
  } finally {
    await connection.close();
  }
}
