/**
 * One OutboxRelay in its own process, on the producer database, publishing to a broker from a
 * URL. Prints `ready`, then its stats every `statsIntervalMs` (and once more on SIGTERM).
 * With `publishDelayMs`, every publish is announced (`publish-start`) and held that long first,
 * so the suite can freeze the relay between claim and mark.
 */
import { createPgClient } from '@outrig/db';
import { type Broker, createOutboxRelay, resolveBroker } from '@outrig/messaging';
import { type RelayWorkerConfig, readConfig, send } from '../lib/worker-config.ts';

const config = readConfig<RelayWorkerConfig>();
const log = (during: string, error: unknown) =>
  process.stderr.write(`[relay ${config.id}] ${during}: ${(error as Error)?.message ?? String(error)}\n`);

const sql = createPgClient({ url: config.producerUrl, max: 3, applicationName: config.id });
const broker = await resolveBroker(config.broker.url, {
  nats: { ...config.broker.options, onError: (e: Error) => log('nats', e) },
  postgres: { ...config.broker.options, onError: (e: Error) => log('bus', e) },
  kafka: { ...config.broker.options, onError: (e: Error) => log('kafka', e) },
  rabbitmq: { ...config.broker.options, onError: (e: Error) => log('rabbitmq', e) },
  redis: { ...config.broker.options, onError: (e: Error) => log('redis', e) },
});
const delay = config.publishDelayMs ?? 0;
const publisher: Pick<Broker, 'publish' | 'ping'> =
  delay > 0
    ? {
        ping: () => broker.ping(),
        async publish(messages) {
          send({ t: 'publish-start', count: messages.length, partitions: relay.stats().partitions });
          await new Promise((resolve) => setTimeout(resolve, delay));
          return broker.publish(messages);
        },
      }
    : broker;

const relay = createOutboxRelay({
  id: config.id,
  sql,
  broker: publisher,
  listen: config.producerUrl,
  leaseMs: config.leaseMs,
  pollIntervalMs: config.pollIntervalMs,
  maxAttempts: config.maxAttempts,
  backoff: config.backoff,
  publishTimeoutMs: 10_000,
  onError: (error, during) => log(during, error),
});

const report = () => {
  const s = relay.stats();
  send({
    t: 'stats',
    stats: {
      id: s.id,
      partitions: s.partitions,
      publishedTotal: s.publishedTotal,
      fencedTotal: s.fencedTotal,
      parkedTotal: s.parkedTotal,
      batchesTotal: s.batchesTotal,
      errorsTotal: s.errorsTotal,
    },
  });
};

await relay.start();
send({ t: 'ready', pid: process.pid });
const timer = setInterval(report, config.statsIntervalMs);

process.once('SIGTERM', () => {
  clearInterval(timer);
  void (async () => {
    await relay.stop().catch((e) => log('stop', e));
    report();
    await broker.close().catch((e) => log('broker close', e));
    await sql.close().catch(() => {});
    process.exit(0);
  })();
});
