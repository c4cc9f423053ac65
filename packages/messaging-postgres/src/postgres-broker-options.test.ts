import { describe, expect, it } from 'vitest';
import { POSTGRES_BROKER_DEFAULTS, resolvePostgresBrokerOptions } from './postgres-broker-options.ts';

const url = 'postgres://postgres@127.0.0.1:5432/bus';

describe('resolvePostgresBrokerOptions', () => {
  it('fills every default and listens on the bus URL', () => {
    const o = resolvePostgresBrokerOptions({ url });
    expect(o).toMatchObject({ ...POSTGRES_BROKER_DEFAULTS, listen: url, notify: true, autoMigrate: true });
  });

  it('polls only when a user client is given without a listen URL', () => {
    const sql = {
      query: async () => ({ rows: [], rowCount: 0 }),
      transaction: async () => {},
      close: async () => {},
    };
    expect(resolvePostgresBrokerOptions({ sql: sql as never }).listen).toBeUndefined();
    expect(resolvePostgresBrokerOptions({ url, listen: false }).listen).toBeUndefined();
  });

  it.each([
    [{}, 'url/sql'],
    [{ url: 'mysql://x' }, 'url'],
    [{ url, schema: 'Bad-Name' }, 'schema'],
    [{ url, partitions: 0 }, 'partitions'],
    [{ url, leaseMs: 10 }, 'leaseMs'],
    [{ url, batchSize: 1.5 }, 'batchSize'],
    [{ url, retentionMs: 10, maxRetentionMs: 5 }, 'maxRetentionMs'],
  ])('refuses %o naming %s', (options, name) => {
    expect(() => resolvePostgresBrokerOptions(options)).toThrow(
      expect.objectContaining({
        code: 'PGBUS_OPTIONS_INVALID',
        message: expect.stringContaining(name),
      }),
    );
  });
});
