import { Writable } from 'node:stream';
import type { Service } from '@outrig/core';
import { createTestDatabase, type TestDatabase } from '@outrig/testing';
import { type AuthServiceConfig, createAuthService } from '../src/service.ts';

/** A client of the client-credentials grant configured in every test service. */
export const CLIENT = {
  id: 'orders',
  secret: 'orders-secret-0123456789',
  scopes: ['orders.read', 'orders.write'],
};

export interface AuthHarness {
  readonly db: TestDatabase;
  readonly service: Service<AuthServiceConfig>;
  /** Every log line written so far. */
  readonly logs: string[];
  close(): Promise<void>;
}

/** auth-service on a fresh test database, with a tiny lockout window and no key cache. */
export async function startAuthService(
  prefix: string,
  env: Record<string, string> = {},
): Promise<AuthHarness> {
  const db = await createTestDatabase(prefix);
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const service = await createAuthService({
    env: {
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url,
      BUS_URL: 'memory:',
      AUTH_LOCKOUT_THRESHOLD: '3',
      AUTH_LOCKOUT_S: '1',
      AUTH_KEY_CACHE_MS: '0',
      AUTH_CREDENTIALS_RATE_LIMIT: '1000',
      AUTH_CLIENTS: `${CLIENT.id}:${CLIENT.secret}:${CLIENT.scopes.join(' ')}`,
      ...env,
    },
    logStream,
  });
  await service.app.ready();
  return {
    db,
    service,
    logs,
    async close() {
      await service.stop();
      await db.drop();
    },
  };
}

/** POSTs JSON to the service in-process. */
export function post(service: Service<AuthServiceConfig>, url: string, payload: unknown, headers = {}) {
  return service.app.inject({ method: 'POST', url, payload: payload as object, headers });
}
