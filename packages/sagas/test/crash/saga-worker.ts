/**
 * The saga's process in the crash tests: the saga runtime (two steps of every transition can be
 * crashed: after the inbox insert, before commit), its consumer's acks (after commit, before
 * ack) and the outbox relay (after a publish, before its mark). `KILL_AT=<point>:<n>` makes it
 * SIGKILL itself the n-th time it reaches <point>. Prints `ready` once running.
 */
import { createPgClient } from '@outrig/db';
import { type Broker, createOutboxRelay, type Delivery } from '@outrig/messaging';
import { createPostgresBroker } from '@outrig/messaging-postgres';
import { createSagaRuntime } from '../../src/index.ts';
import { tripSaga } from '../fixtures/trip-saga.ts';

const [point, nth] = (process.env.KILL_AT ?? '').split(':');
let hits = 0;
const hit = (at: string) => {
  if (at !== point) return;
  hits += 1;
  if (hits === Number(nth)) process.kill(process.pid, 'SIGKILL');
};

const sql = createPgClient({ url: String(process.env.DB_URL), max: 6 });
const broker = createPostgresBroker({
  url: String(process.env.DB_URL),
  leaseMs: 1500,
  pollIntervalMs: 50,
  cleanupIntervalMs: 0,
  retryDelayMs: 20,
});

const relayBroker: Pick<Broker, 'publish' | 'name'> = {
  name: broker.name,
  async publish(messages) {
    const results = await broker.publish(messages);
    hit('after-relay-publish');
    return results;
  },
};
const sagaBroker: Broker = new Proxy(broker, {
  get(target, prop) {
    if (prop === 'subscribe') {
      const subscribe: Broker['subscribe'] = (topics, options, handler) =>
        target.subscribe(topics, options, (d: Delivery) =>
          handler(
            new Proxy(d, {
              get(t, p) {
                if (p === 'ack') {
                  return async () => {
                    hit('after-commit-before-ack');
                    return t.ack();
                  };
                }
                const v = Reflect.get(t, p, t);
                return typeof v === 'function' ? v.bind(t) : v;
              },
            }),
          ),
        );
      return subscribe;
    }
    const v = Reflect.get(target, prop, target);
    return typeof v === 'function' ? v.bind(target) : v;
  },
});

const relay = createOutboxRelay({
  sql,
  broker: relayBroker,
  pollIntervalMs: 20,
  leaseMs: 1500,
  batchSize: 100,
  onError: () => {},
});
const runtime = createSagaRuntime({
  sql,
  broker: sagaBroker,
  source: '/services/trips',
  sagas: [tripSaga({ undoAttempts: 3 })],
  timerPollMs: 20,
  consumer: { backoff: { baseMs: 5, maxMs: 50 }, maxAttempts: 100 },
  crashPoint: hit,
});
await relay.start();
await runtime.start();
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await runtime.stop();
  await relay.stop();
  await broker.close();
  await sql.close();
  process.exit(0);
});
