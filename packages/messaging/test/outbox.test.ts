import { createHash } from 'node:crypto';
import { type Context, propagation, type TextMapPropagator } from '@opentelemetry/api';
import { migrate } from '@outrig/db';
import {
  type CloudEvent,
  createOutbox,
  defineEvent,
  outboxMigrations,
  outboxTriggerMigration,
} from '@outrig/messaging';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { Type } from 'typebox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const ok = await serverAvailable('postgres');

const ProductCreated = defineEvent({
  type: 'product.created',
  aggregateType: 'product',
  schema: Type.Object({ name: Type.String({ minLength: 1 }), priceCents: Type.Integer({ minimum: 0 }) }),
});
const ProductRenamed = defineEvent({
  type: 'product.renamed',
  aggregateType: 'product',
  schema: Type.Object({ name: Type.String({ minLength: 1 }) }),
  topic: 'catalog.events',
});

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
/** A stand-in for the OpenTelemetry SDK's W3C propagator: injects a fixed context. */
const fixedPropagator: TextMapPropagator = {
  inject: (_context, carrier, setter) => {
    setter.set(carrier, 'traceparent', TRACEPARENT);
    setter.set(carrier, 'tracestate', 'outrig=1');
  },
  extract: (context: Context) => context,
  fields: () => ['traceparent', 'tracestate'],
};

interface Row {
  id: string;
  seq: string;
  topic: string;
  partition: number;
  partition_key: string;
  aggregate_id: string;
  aggregate_version: string;
  event: CloudEvent<Record<string, unknown>>;
  traceparent: string | null;
}

describe.skipIf(!ok)('outbox (PostgreSQL)', () => {
  let db: TestDatabase;
  const outbox = createOutbox({ source: '/services/catalog' });
  const rows = async (where = 'true') =>
    (await db.sql.query<Row>(`SELECT * FROM outbox WHERE ${where} ORDER BY seq`)).rows;

  beforeAll(async () => {
    db = await createTestDatabase('outbox');
    await migrate(db.sql, [
      outboxMigrations,
      {
        name: 'service/catalog',
        migrations: [
          {
            id: '0001_product',
            sql: 'CREATE TABLE product (id text PRIMARY KEY, name text NOT NULL, price_cents int NOT NULL)',
          },
          outboxTriggerMigration({
            id: '0002_product_outbox',
            table: 'product',
            aggregateType: 'item',
            source: '/services/catalog',
          }),
        ],
      },
    ]);
  });
  afterAll(() => db?.drop());
  afterEach(() => propagation.disable());

  it('commits the state change and its event together, with version 1 and routing', async () => {
    await outbox.unitOfWork(db.sql, async (uow) => {
      await uow.tx.query(`INSERT INTO product VALUES ('p-1', 'Lamp', 1999)`);
      uow.publish(ProductCreated, { subject: 'p-1', data: { name: 'Lamp', priceCents: 1999 } });
      uow.publish(ProductRenamed, { subject: 'p-1', data: { name: 'Desk lamp' } });
    });
    const [created, renamed] = await rows(`aggregate_type = 'product' AND aggregate_id = 'p-1'`);
    expect(created!.event).toMatchObject({
      specversion: '1.0',
      type: 'product.created',
      source: '/services/catalog',
      subject: 'p-1',
      aggregatetype: 'product',
      aggregateversion: 1,
      datacontenttype: 'application/json',
      data: { name: 'Lamp', priceCents: 1999 },
    });
    expect(created!.event.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(created!.id).toBe(created!.event.id);
    expect(created!.topic).toBe('product.events');
    expect(renamed!.topic).toBe('catalog.events');
    expect(renamed!.event.aggregateversion).toBe(2);
    // Partition = first 32 bits of md5(key) mod 64, the same in SQL for every writer.
    const expected = Number.parseInt(createHash('md5').update('p-1').digest('hex').slice(0, 8), 16) % 64;
    expect(created!.partition).toBe(expected);
    expect(created!.partition_key).toBe('p-1');
  });

  it('rolls back the events with the state when the unit of work fails', async () => {
    const boom = new Error('boom');
    await expect(
      outbox.unitOfWork(db.sql, async (uow) => {
        await uow.tx.query(`INSERT INTO product VALUES ('p-rollback', 'Chair', 500)`);
        uow.publish(ProductCreated, { subject: 'p-rollback', data: { name: 'Chair', priceCents: 500 } });
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await rows(`aggregate_id = 'p-rollback'`)).toEqual([]);
    const product = await db.sql.query(`SELECT 1 FROM product WHERE id = 'p-rollback'`);
    expect(product.rowCount).toBe(0);
    // The version was not consumed either: the next event of the aggregate is version 1.
    await outbox.unitOfWork(db.sql, async (uow) => {
      uow.publish(ProductCreated, { subject: 'p-rollback', data: { name: 'Chair', priceCents: 500 } });
    });
    const [row] = await rows(`aggregate_id = 'p-rollback'`);
    expect(row!.event.aggregateversion).toBe(1);
  });

  it('refuses an invalid event with field details and writes nothing', async () => {
    const error = await outbox
      .unitOfWork(db.sql, async (uow) => {
        await uow.tx.query(`INSERT INTO product VALUES ('p-bad', 'X', 1)`);
        uow.publish(ProductCreated, { subject: 'p-bad', data: { name: '', priceCents: -1 } });
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'EVENT_INVALID',
      status: 422,
      details: {
        type: 'product.created',
        fields: [
          expect.objectContaining({ path: 'data/name' }),
          expect.objectContaining({ path: 'data/priceCents' }),
        ],
      },
    });
    expect(await rows(`aggregate_id = 'p-bad'`)).toEqual([]);
  });

  it('writes inside a transaction the caller owns, and only there', async () => {
    const event = outbox.event(ProductCreated, { subject: 'p-own', data: { name: 'Own', priceCents: 1 } });
    await expect(outbox.write(db.sql as never, event)).rejects.toMatchObject({
      code: 'OUTBOX_NOT_IN_TRANSACTION',
    });
    const stored = await db.sql.transaction((tx) => outbox.write(tx, event));
    expect(stored[0]).toMatchObject({ id: event.id, aggregateversion: 1 });
    // A version the caller put on the event is replaced by the one assigned under the lock, in
    // the returned event and in the stored one (which is json with the version spliced in).
    const forged = outbox.event(ProductCreated, { subject: 'p-own', data: { name: 'Again', priceCents: 2 } });
    const [again] = await db.sql.transaction((tx) => outbox.write(tx, { ...forged, aggregateversion: 99 }));
    expect(again).toMatchObject({ id: forged.id, aggregateversion: 2 });
    const [row] = await rows(`id = '${forged.id}'`);
    expect(row!.event).toEqual({ ...forged, aggregateversion: 2 });
    const noSubject = { ...event, subject: undefined } as CloudEvent;
    await expect(db.sql.transaction((tx) => outbox.write(tx, noSubject))).rejects.toMatchObject({
      code: 'OUTBOX_EVENT_UNROUTABLE',
    });
  });

  it('assigns each aggregate contiguous versions in commit order under concurrent writers', async () => {
    const aggregates = ['c-1', 'c-2', 'c-3'];
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        outbox.unitOfWork(db.sql, async (uow) => {
          // Two aggregates per transaction, in varying order: the writer sorts its locks (no deadlock).
          const a = aggregates[i % 3]!;
          const b = aggregates[(i + 1 + (i % 2)) % 3]!;
          uow.publish(ProductRenamed, { subject: a, data: { name: `n${i}` } });
          uow.publish(ProductRenamed, { subject: b, data: { name: `n${i}` } });
        }),
      ),
    );
    for (const id of aggregates) {
      const versions = (await rows(`aggregate_id = '${id}'`)).map((r) => Number(r.aggregate_version));
      // Ordered by seq: versions are 1..n with no gap, and seq order is version order.
      expect(versions).toEqual(versions.map((_, i) => i + 1));
    }
    expect((await rows(`aggregate_id LIKE 'c-%'`)).length).toBe(60);
  });

  it('captures inserts, updates and deletes through the table trigger', async () => {
    await outbox.unitOfWork(db.sql, async (uow) => {
      await uow.tx.query(`INSERT INTO product VALUES ('t-1', 'Table', 10000)`);
    });
    await db.sql.query(`UPDATE product SET price_cents = 9000 WHERE id = 't-1'`);
    await db.sql.query(`UPDATE product SET price_cents = 9000 WHERE id = 't-1'`); // changes nothing
    await db.sql.query(`DELETE FROM product WHERE id = 't-1'`);
    const captured = await rows(`aggregate_type = 'item' AND aggregate_id = 't-1'`);
    expect(captured.map((r) => [r.event.type, r.event.aggregateversion])).toEqual([
      ['item.created', 1],
      ['item.updated', 2],
      ['item.deleted', 3],
    ]);
    expect(captured[0]!.event).toMatchObject({
      specversion: '1.0',
      source: '/services/catalog',
      subject: 't-1',
      aggregatetype: 'item',
      datacontenttype: 'application/json',
      data: { id: 't-1', name: 'Table', price_cents: 10000 },
    });
    expect(captured[1]!.event.data).toMatchObject({ price_cents: 9000 });
    expect(captured[2]!.event.data).toMatchObject({ id: 't-1', price_cents: 9000 });
    expect(captured[0]!.topic).toBe('item.events');
    expect(captured[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Date.parse(captured[0]!.event.time)).not.toBeNaN();
  });

  it('puts trigger rows and explicit events of one transaction in one version sequence', async () => {
    await outbox.unitOfWork(db.sql, async (uow) => {
      await uow.tx.query(`INSERT INTO product VALUES ('m-1', 'Mixed', 1)`);
      uow.add(
        outbox.event(defineEvent({ type: 'item.audited', aggregateType: 'item', schema: Type.Object({}) }), {
          subject: 'm-1',
          data: {},
        }),
      );
      await uow.tx.query(`UPDATE product SET name = 'Mixed 2' WHERE id = 'm-1'`);
    });
    const types = (await rows(`aggregate_type = 'item' AND aggregate_id = 'm-1'`)).map((r) => [
      r.event.type,
      r.event.aggregateversion,
    ]);
    // The explicit event is written at the end of the unit of work, after the captured ones.
    expect(types).toEqual([
      ['item.created', 1],
      ['item.updated', 2],
      ['item.audited', 3],
    ]);
  });

  it('stores the active trace context on explicit and captured rows, and correlation ids', async () => {
    propagation.setGlobalPropagator(fixedPropagator);
    await outbox.unitOfWork(
      db.sql,
      async (uow) => {
        await uow.tx.query(`INSERT INTO product VALUES ('tr-1', 'Traced', 1)`);
        uow.publish(ProductRenamed, { subject: 'tr-1', data: { name: 'Traced' } });
      },
      { correlationId: 'req-42' },
    );
    const traced = await rows(`aggregate_id = 'tr-1'`);
    expect(traced).toHaveLength(2);
    for (const row of traced) {
      expect(row.traceparent).toBe(TRACEPARENT);
      expect(row.event).toMatchObject({
        traceparent: TRACEPARENT,
        tracestate: 'outrig=1',
        correlationid: 'req-42',
      });
    }
    // Outside a unit of work the trigger finds no context: the row carries none.
    propagation.disable();
    await db.sql.query(`UPDATE product SET name = 'Untraced' WHERE id = 'tr-1'`);
    const [last] = await rows(`aggregate_id = 'tr-1' AND aggregate_version = 2 AND aggregate_type = 'item'`);
    expect(last!.traceparent).toBeNull();
    expect(last!.event.traceparent).toBeUndefined();
  });
});
