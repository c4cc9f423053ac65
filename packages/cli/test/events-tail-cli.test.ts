/**
 * `outrig events tail` through the real bin against the real buses — NATS JetStream (4222) and
 * the postgres bus (a database on 5432) — : prints what is published while it runs, and when
 * it stops no consumer, group or offset is left on the server.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Broker, CloudEvent } from '@outrig/messaging';
import { createNatsBroker } from '@outrig/messaging-nats';
import { createPostgresBroker } from '@outrig/messaging-postgres';
import {
  createTestDatabase,
  deleteNatsStreams,
  serverAvailable,
  type TestDatabase,
  testServers,
} from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSystem, outrig, startOutrig } from './support/outrig-bin.ts';

const hasNats = await serverAvailable('nats');
const hasPg = await serverAvailable('postgres');
const run = randomBytes(3).toString('hex');

function event(n: number, key: string): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/services/cli-test',
    type: 'thing.happened',
    subject: key,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { n },
  };
}

/** Tails `topic` with the real bin, publishes, checks the lines, stops it with SIGINT. */
async function tailAndPublish(busUrl: string, broker: Broker, topic: string) {
  // Something before the tail starts: it must not be shown.
  await broker.publish([{ topic, key: 'a', event: event(0, 'a') }]);
  const tail = startOutrig(['events', 'tail', topic], { env: { BUS_URL: busUrl } });
  await tail.waitFor('stderr', (t) => t.includes(`Tailing ${topic} on `), 60_000);
  const events = [event(1, 'a'), event(2, 'b'), event(3, 'a')];
  expect(
    (await broker.publish(events.map((e) => ({ topic, key: e.subject as string, event: e })))).every(
      (r) => r.ok,
    ),
  ).toBe(true);
  await tail.waitFor('stdout', (t) => t.split('\n').length > 3);
  tail.child.kill('SIGINT');
  expect(await tail.exited).toBe(0);
  const lines = tail.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(3);
  for (const [i, e] of events.entries()) {
    expect(lines).toContain(`${e.time} ${topic} thing.happened key=${e.subject} id=${e.id} {"n":${i + 1}}`);
  }
  // Key a in publish order.
  expect(lines.filter((l) => l.includes('key=a')).map((l) => l.slice(-7))).toEqual(['{"n":1}', '{"n":3}']);
  return events;
}

describe.skipIf(!hasNats)('outrig events tail on NATS JetStream', { timeout: 120_000 }, () => {
  const topic = `clitail-${run}.events`;
  let broker: Broker;
  const consumers = async () => {
    const nc = await connect({ servers: new URL(testServers.nats).host });
    try {
      const jsm = await jetstreamManager(nc);
      const names: string[] = [];
      for await (const c of jsm.consumers.list(`OUTRIG_clitail-${run}_events`)) names.push(c.name);
      return names;
    } finally {
      await nc.close();
    }
  };

  beforeAll(async () => {
    broker = await createNatsBroker({ servers: testServers.nats });
  });
  afterAll(async () => {
    await broker?.close();
    await deleteNatsStreams(testServers.nats, `OUTRIG_clitail-${run}`);
  });

  it('prints each event published while it runs, one line each, and leaves no consumer behind', async () => {
    await tailAndPublish(testServers.nats, broker, topic);
    expect(await consumers()).toEqual([]);
  });

  it('--json --count 1: exactly one CloudEvent line, nothing else, then exits 0', async () => {
    const tail = startOutrig(['events', 'tail', topic, '--json', '--count', '1'], {
      env: { BUS_URL: testServers.nats },
    });
    // No "Tailing" line with --json: publish until it has seen one.
    const sent: string[] = [];
    while (tail.child.exitCode === null && sent.length < 200) {
      const e = event(sent.length, 'j');
      sent.push(e.id);
      await broker.publish([{ topic, key: 'j', event: e }]);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await tail.exited).toBe(0);
    expect(tail.stderr).toBe('');
    const lines = tail.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const got = JSON.parse(lines[0] as string) as CloudEvent;
    expect(sent).toContain(got.id);
    expect(got).toMatchObject({ specversion: '1.0', type: 'thing.happened', subject: 'j' });
    expect(await consumers()).toEqual([]);
  });
});

describe.skipIf(!hasPg)('outrig events tail on the postgres bus', { timeout: 120_000 }, () => {
  const topic = `clitail-${run}.events`;
  let bus: TestDatabase;
  let broker: Broker;

  beforeAll(async () => {
    bus = await createTestDatabase('cli_tail_bus');
    broker = createPostgresBroker({ url: bus.url, cleanupIntervalMs: 0 });
  });
  afterAll(async () => {
    await broker?.close();
    await bus?.drop();
  });

  it('prints each event published while it runs, and leaves no group, member or offset behind', async () => {
    await tailAndPublish(bus.url, broker, topic);
    const { rows } = await bus.sql.query(
      `select grp from outrig_bus.group_partitions union all select grp from outrig_bus.members`,
    );
    expect(rows).toEqual([]);
    // Its connections are gone too.
    const { rows: sessions } = await bus.sql.query(
      `select 1 from pg_stat_activity where application_name like 'outrig-events-tail%'`,
    );
    expect(sessions).toEqual([]);
  });
});

describe('outrig events tail: no bus to read', { timeout: 60_000 }, () => {
  it('outside a system and without BUS_URL: exit 1, CLI_BUS_UNAVAILABLE saying what to give', async () => {
    const r = await outrig(['events', 'tail', 'x.events'], { cwd: '/' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: CLI_BUS_UNAVAILABLE: No bus to read from: pass --bus-url or set BUS_URL, or run this inside a system (outrig.json)\n',
    );
  });

  it('a system on the memory transport: exit 1, explains why there is nothing to tail', async () => {
    const system = await makeSystem({ name: 'mem', transport: 'memory', services: {} });
    try {
      const r = await outrig(['events', 'tail', 'x.events'], { cwd: system.root });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'error: CLI_BUS_UNAVAILABLE: No bus to read from: the system uses the memory transport',
      );
    } finally {
      await system.remove();
    }
  });

  it('events tail --help shows examples', async () => {
    const r = await outrig(['events', 'tail', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('$ outrig events tail product.events');
  });
});
