import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** Every `errors.ts` of every package and reference service. */
function errorFiles(): string[] {
  const files: string[] = [];
  for (const base of ['packages', 'examples/shop/services']) {
    for (const dir of readdirSync(join(root, base))) {
      const file = join(root, base, dir, 'src', 'errors.ts');
      if (existsSync(file)) files.push(file);
    }
  }
  return files;
}

async function catalogs(): Promise<Map<string, string>> {
  const codes = new Map<string, string>();
  for (const file of errorFiles()) {
    const mod = (await import(file)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      const catalog = (value as { catalog?: Record<string, unknown> } | null)?.catalog;
      if (!catalog) continue;
      for (const code of Object.keys(catalog)) {
        expect(codes.has(code), `${code} is declared twice (${codes.get(code)} and ${file})`).toBe(false);
        codes.set(code, file);
      }
    }
  }
  return codes;
}

describe('docs/errors.md', () => {
  it('lists every error code of every package and service, and no unknown ones', async () => {
    const codes = await catalogs();
    expect(codes.size).toBeGreaterThan(10);
    const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    const missing = [...codes.keys()].filter((c) => !documented.has(c));
    expect(missing, 'codes missing from docs/errors.md').toEqual([]);
    const stale = [...documented].filter((c) => !codes.has(c as string));
    expect(stale, 'codes in docs/errors.md that no package declares').toEqual([]);
  });
});
