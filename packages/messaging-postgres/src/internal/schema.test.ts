import { migrate } from '@outrig/db';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBusMigrations } from '../postgres-bus-migrations.ts';
import { ensureSchema, SCHEMA_VERSION, schemaDdl, schemaEventJsonDdl } from './schema.ts';

const ok = await serverAvailable('postgres');

describe.skipIf(!ok)('postgres bus schema versions', () => {
  let db: TestDatabase;
  const columns = async (schema: string) =>
    (
      await db.sql.query<{ column_name: string }>(
        `select column_name from information_schema.columns where table_schema = $1 and table_name = 'log'`,
        [schema],
      )
    ).rows.map((r) => r.column_name);
  const eventType = async (schema: string) =>
    (
      await db.sql.query<{ data_type: string }>(
        `select data_type from information_schema.columns where table_schema = $1 and table_name = 'log' and column_name = 'event'`,
        [schema],
      )
    ).rows[0]?.data_type;
  const version = async (schema: string) =>
    (await db.sql.query<{ value: string }>(`select value from "${schema}".meta where key = 'version'`))
      .rows[0]?.value;

  beforeAll(async () => {
    db = await createTestDatabase('pgbus_schema');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('upgrades a version 1 bus (no headers column) in place, keeping its messages', async () => {
    await db.sql.query(schemaDdl('bus_v1'));
    await db.sql.query(
      `insert into bus_v1.log (topic, partition, "offset", key, event_id, event) values ('t', 0, 1, 'k', 'e1', '{}')`,
    );
    expect(await columns('bus_v1')).not.toContain('headers');
    expect(await version('bus_v1')).toBe('1');
    await ensureSchema(db.sql, 'bus_v1');
    expect(await columns('bus_v1')).toContain('headers');
    expect(await version('bus_v1')).toBe(String(SCHEMA_VERSION));
    const rows = await db.sql.query('select event_id, event, headers from bus_v1.log');
    expect(rows.rows).toEqual([{ event_id: 'e1', event: {}, headers: null }]);
    expect(await eventType('bus_v1')).toBe('json');
    // Applying the steps again changes nothing (the json step is a no-op on a json column).
    await db.sql.query(schemaEventJsonDdl('bus_v1'));
    expect(await eventType('bus_v1')).toBe('json');
  });

  it('postgresBusMigrations applies every step and is accepted again by migrate() and ensureSchema', async () => {
    await migrate(db.sql, [postgresBusMigrations('bus_m')]);
    expect(await columns('bus_m')).toContain('headers');
    expect(await version('bus_m')).toBe(String(SCHEMA_VERSION));
    await migrate(db.sql, [postgresBusMigrations('bus_m')]);
    await ensureSchema(db.sql, 'bus_m');
    expect(postgresBusMigrations('bus_m').migrations.map((m) => m.id)).toEqual([
      '0001_bus',
      '0002_bus_headers',
      '0003_bus_event_json',
      '0004_bus_nack_delays',
    ]);
    expect(await eventType('bus_m')).toBe('json');
  });
});
