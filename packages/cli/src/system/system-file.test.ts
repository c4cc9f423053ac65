import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isOutrigError } from '@outrig/core/errors';
import { describe, expect, it } from 'vitest';
import { loadSystem, parseSystem } from './system-file.ts';

describe('outrig.json', () => {
  it('fills in defaults and finds the file from a folder below the root', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'outrig-system-'));
    await writeFile(
      path.join(root, 'outrig.json'),
      JSON.stringify({
        name: 'shop',
        services: {
          orders: { dir: 'services/orders', port: 8003 },
          gateway: { dir: 'services/gateway', port: 10000, kind: 'gateway' },
        },
      }),
    );
    await mkdir(path.join(root, 'services', 'orders', 'src'), { recursive: true });
    const system = await loadSystem(path.join(root, 'services', 'orders', 'src'));
    expect(system.root).toBe(root);
    expect(system.transport).toBe('postgres');
    expect(system.registry).toBe('local');
    expect(system.dev).toEqual({ postgresPort: 5488, dashboardPort: 9400 });
    expect(system.services.map((s) => [s.name, s.database, s.entry, s.dir])).toEqual([
      ['orders', true, 'src/main.ts', path.join(root, 'services/orders')],
      ['gateway', false, 'src/main.ts', path.join(root, 'services/gateway')],
    ]);
  });

  it('names the wrong field', () => {
    const bad = (value: unknown) => {
      try {
        parseSystem(value, '/sys');
      } catch (err) {
        if (isOutrigError(err, 'CLI_SYSTEM_INVALID')) return err.message;
        throw err;
      }
      throw new Error('accepted');
    };
    expect(bad({ name: 'shop', services: { a: { dir: 'a', port: 70000 } } })).toMatch(/services\.a\.port/);
    expect(bad({ name: 'Shop!', services: {} })).toMatch(/name/);
    expect(bad({ name: 'shop', services: {}, extra: 1 })).toMatch(/extra|additional/i);
    expect(bad({ name: 'shop', services: { a: { dir: 'a', port: 80 }, b: { dir: 'b', port: 80 } } })).toMatch(
      /services\.b\.port: 80 is already the port of a/,
    );
  });

  it('says where it looked when there is no outrig.json', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'outrig-nosystem-'));
    await expect(loadSystem(dir)).rejects.toMatchObject({ code: 'CLI_SYSTEM_NOT_FOUND' });
  });
});
