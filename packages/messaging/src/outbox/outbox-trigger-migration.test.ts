import { describe, expect, it } from 'vitest';
import { outboxTriggerMigration } from './outbox-trigger-migration.ts';

describe('outboxTriggerMigration', () => {
  it('installs a row trigger with the aggregate, id column, source and topic as quoted literals', () => {
    const migration = outboxTriggerMigration({
      table: 'catalog.product',
      aggregateType: 'product',
      idColumn: 'sku',
      source: "/services/o'brien",
      topic: 'catalog.events',
    });
    expect(migration.id).toBe('outbox_capture_catalog_product');
    expect(migration.sql).toContain('AFTER INSERT OR UPDATE OR DELETE ON "catalog"."product"');
    expect(migration.sql).toContain(
      "EXECUTE FUNCTION outrig_outbox_capture('product', 'sku', '/services/o''brien', 'catalog.events')",
    );
  });

  it('refuses identifiers that are not plain names', () => {
    const base = { aggregateType: 'product', source: '/services/catalog' };
    for (const table of ['product; drop table x', 'a.b.c', '"product"', '']) {
      expect(() => outboxTriggerMigration({ ...base, table })).toThrow(
        expect.objectContaining({ code: 'OUTBOX_OPTIONS_INVALID' }),
      );
    }
    expect(() => outboxTriggerMigration({ table: 'product', aggregateType: 'product', source: '' })).toThrow(
      /source/,
    );
  });
});
