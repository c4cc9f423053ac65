import { describe, expect, it } from 'vitest';
import { serviceDatabaseName } from './ensure-database.ts';

describe('serviceDatabaseName', () => {
  it('turns a service name into a plain identifier', () => {
    expect(serviceDatabaseName('order-service')).toBe('order_service');
    expect(serviceDatabaseName('Shop.Payments  v2')).toBe('shop_payments_v2');
    expect(serviceDatabaseName('3d-printing')).toBe('s_3d_printing');
    expect(serviceDatabaseName('x'.repeat(80))).toHaveLength(63);
  });

  it('refuses a name with nothing usable in it', () => {
    expect(() => serviceDatabaseName('--')).toThrow(expect.objectContaining({ code: 'DB_OPTIONS_INVALID' }));
  });
});
