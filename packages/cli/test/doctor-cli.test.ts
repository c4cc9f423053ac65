/**
 * `outrig doctor` through the real bin, on a throwaway system: a port held by another process
 * (named, with the fix), a config problem found by the service's own schema without starting
 * it, an unreachable server; then the same system healthy against the real PostgreSQL and NATS.
 */
import net from 'node:net';
import { freePort, serverAvailable, testServers } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSystem, outrig } from './support/outrig-bin.ts';

const ok = (await serverAvailable('postgres')) && (await serverAvailable('nats'));

const CONFIG = `
import { int, str } from '@outrig/core';
export const config = {
  apiKey: str({ env: 'ORDERS_API_KEY', doc: 'Key of the payment provider' }),
  batch: int({ env: 'ORDERS_BATCH', doc: 'Batch size', default: 10, min: 1 }),
};
`;

interface Finding {
  check: string;
  status: string;
  message: string;
  fix?: string;
  service?: string;
}

describe.skipIf(!ok)('outrig doctor (real bin)', { timeout: 120_000 }, () => {
  let system: Awaited<ReturnType<typeof makeSystem>>;
  let ports: { orders: number; gateway: number; pg: number; dead: number };
  let holder: net.Server;

  beforeAll(async () => {
    ports = {
      orders: await freePort(),
      gateway: await freePort(),
      pg: await freePort(),
      dead: await freePort(),
    };
    system = await makeSystem(
      {
        name: 'fixture',
        services: {
          'orders-service': { dir: 'services/orders', port: ports.orders, env: { ORDERS_BATCH: '0' } },
          gateway: { dir: 'services/gateway', port: ports.gateway, kind: 'gateway' },
        },
        dev: { postgresPort: ports.pg },
      },
      { 'services/orders/src/config.ts': CONFIG },
    );
    // Another program on orders-service's port: this test process.
    holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(ports.orders, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => holder?.close(resolve));
    await system?.remove();
  });

  it('reports each problem with its fix and exits 1', async () => {
    const r = await outrig(['doctor'], {
      cwd: system.root,
      env: { BUS_URL: `nats://127.0.0.1:${ports.dead}` },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ok {5}node \d+\.\d+\.\d+ \(needs >=22\.18\)$/m);
    expect(r.stdout).toContain(
      `error  port ${ports.orders} (orders-service) is in use by pid ${process.pid} (`,
    );
    expect(r.stdout).toContain(
      `fix: stop that process, or give orders-service another port (services.orders-service.port in outrig.json, or ORDERS_SERVICE_PORT)`,
    );
    expect(r.stdout).toContain(`ok     port ${ports.gateway} (gateway) is free`);
    expect(r.stdout).toContain('error  orders-service: ORDERS_API_KEY is required (a non-empty string)');
    expect(r.stdout).toContain('error  orders-service: ORDERS_BATCH="0" is invalid');
    expect(r.stdout).toContain(
      'fix: set ORDERS_API_KEY in the environment, or in services.orders-service.env of outrig.json',
    );
    expect(r.stdout).toContain('warn   gateway: no src/config.ts: only the core variables were checked');
    expect(r.stdout).toContain(
      `error  nats://127.0.0.1:${ports.dead} (BUS_URL of orders-service, gateway) is unreachable: ECONNREFUSED`,
    );
    expect(r.stderr).toBe('error: CLI_DOCTOR_FOUND_PROBLEMS: 4 problems found: see above for each fix\n');
  });

  it('--json: the findings as data, nothing else on stdout', async () => {
    const r = await outrig(['doctor', '--json'], {
      cwd: system.root,
      env: { BUS_URL: `nats://127.0.0.1:${ports.dead}` },
    });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; findings: Finding[] };
    expect(report.ok).toBe(false);
    const errors = report.findings.filter((f) => f.status === 'error');
    expect(errors.map((f) => f.check).sort()).toEqual(['config', 'config', 'port', 'server']);
    expect(errors.every((f) => typeof f.fix === 'string' && f.fix.length > 0)).toBe(true);
  });

  it('a healthy system: every check ok (reachable real servers), exit 0', async () => {
    await new Promise((resolve) => holder.close(resolve));
    try {
      const r = await outrig(['doctor', '--system', system.root], {
        env: {
          ORDERS_API_KEY: 'k',
          ORDERS_BATCH: '5',
          BUS_URL: testServers.nats,
          ORDERS_SERVICE_DATABASE_URL: testServers.postgres,
        },
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/^error/m);
      expect(r.stdout).toContain(
        `ok     ${testServers.nats} (BUS_URL of orders-service, gateway) is reachable`,
      );
      expect(r.stdout).toContain(
        `ok     ${testServers.postgres} (ORDERS_SERVICE_DATABASE_URL of orders-service) is reachable`,
      );
      expect(r.stdout).toContain('ok     orders-service: configuration is valid');
    } finally {
      holder = net.createServer();
      await new Promise<void>((resolve) => holder.listen(ports.orders, '127.0.0.1', resolve));
    }
  });

  it('outside a system: the finding says where to run it, exit 1', async () => {
    const r = await outrig(['doctor', '--json'], { cwd: '/' });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { findings: Finding[] };
    expect(report.findings.map((f) => [f.check, f.status])).toEqual([
      ['node', 'ok'],
      ['system', 'error'],
    ]);
  });
});
