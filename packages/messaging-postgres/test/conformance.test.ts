import type { Broker } from '@outrig/messaging';
import {
  createTestDatabase,
  describeBrokerConformance,
  serverAvailable,
  type TestDatabase,
} from '@outrig/testing';
import { afterAll } from 'vitest';
import type { PostgresBroker } from '../src/index.ts';
import { terminateBackends, testBroker } from './helpers.ts';

// One bus database for the whole run; every broker the suite creates is "another process" on it.
let db: Promise<TestDatabase> | undefined;
const bus = () => {
  db ??= createTestDatabase('pgbus_conformance');
  return db;
};

afterAll(async () => {
  await (await db)?.drop();
});

describeBrokerConformance({
  name: 'postgres',
  available: () => serverAvailable('postgres'),
  create: async () => testBroker((await bus()).url),
  // A crash: the member stops dead (no ack, commit or lease release) and loses its connections.
  crash: async (broker: Broker) => {
    const stopping = (broker as PostgresBroker).destroy();
    await terminateBackends((await bus()).sql, broker);
    await stopping;
  },
  // Groups, members and committed offsets the bus holds for these topics (tables in "outrig_bus").
  leftovers: async (topics) => {
    const { rows } = await (await bus()).sql.query<{ what: string }>(
      `select 'group ' || grp as what from outrig_bus.group_partitions where topic = any($1::text[])
       union select 'member ' || grp || '/' || member_id from outrig_bus.members where topics && $1::text[]`,
      [topics],
    );
    return rows.map((r) => r.what);
  },
  // No restartServer: the shared PostgreSQL must not be restarted. test/reconnect.test.ts kills
  // the broker's backends mid-stream instead.
});
