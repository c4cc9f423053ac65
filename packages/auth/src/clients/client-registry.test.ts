import { isOutrigError } from '@outrig/core';
import { describe, expect, it } from 'vitest';
import { ClientRegistry } from './client-registry.ts';

describe('ClientRegistry (AUTH_CLIENTS)', () => {
  it('parses id:secret[:scopes] entries and authenticates by secret', () => {
    const clients = ClientRegistry.parse(
      'orders:orders-secret-0123456789:orders.read orders.write, gateway:gateway-secret-abcdefgh',
    );
    expect(clients.size).toBe(2);
    expect(clients.authenticate('orders', 'orders-secret-0123456789')).toEqual({
      id: 'orders',
      scopes: ['orders.read', 'orders.write'],
    });
    expect(clients.authenticate('gateway', 'gateway-secret-abcdefgh')).toEqual({ id: 'gateway', scopes: [] });
    expect(clients.authenticate('orders', 'gateway-secret-abcdefgh')).toBeUndefined();
    expect(clients.authenticate('nobody', 'orders-secret-0123456789')).toBeUndefined();
    expect(ClientRegistry.parse(undefined).size).toBe(0);
  });

  it('refuses malformed entries with AUTH_CLIENTS_INVALID, never quoting the secret', () => {
    const cases = [
      'orders:short-secret',
      'orders:orders-secret-0123456789:a:b',
      'bad id:orders-secret-0123456789',
      'orders:orders-secret-0123456789,orders:orders-secret-0123456789',
      'orders:orders-secret-0123456789:sco"pe',
    ];
    for (const raw of cases) {
      let error: unknown;
      try {
        ClientRegistry.parse(raw);
      } catch (err) {
        error = err;
      }
      expect(isOutrigError(error, 'AUTH_CLIENTS_INVALID'), raw).toBe(true);
      expect((error as Error).message).not.toMatch(/orders-secret|short-secret/);
    }
  });
});
