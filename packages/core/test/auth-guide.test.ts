import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const guide = join(root, 'docs', 'guides', 'authentication-and-authorization.md');
const MARKER = '<!-- example: auth-example.ts -->';

/** The fenced code block right after the marker, and the block after "It prints:". */
async function guideExample(): Promise<{ code: string; output: string }> {
  const text = await readFile(guide, 'utf8');
  const after = text.slice(text.indexOf(MARKER) + MARKER.length);
  const code = /```ts\n([\s\S]*?)```/.exec(after)?.[1];
  const output = /It prints:\n\n```\n([\s\S]*?)```/.exec(after)?.[1];
  if (!code || !output) throw new Error(`no example after ${MARKER} in ${guide}`);
  return { code, output };
}

describe('docs/guides/authentication-and-authorization.md', () => {
  it('runs the example as a real process and prints what the guide says', async () => {
    const { code, output } = await guideExample();
    const dir = await mkdtemp(join(tmpdir(), 'outrig-auth-guide-'));
    try {
      // The same code, with the package names pointing at this checkout.
      const file = join(dir, 'auth-example.ts');
      const core = join(root, 'packages', 'core', 'src', 'index.ts');
      const jose = join(root, 'node_modules', 'jose', 'dist', 'webapi', 'index.js');
      await writeFile(
        file,
        code.replace(`from '@outrig/core'`, `from '${core}'`).replace(`from 'jose'`, `from '${jose}'`),
      );
      const { stdout } = await promisify(execFile)(process.execPath, [file], {
        env: { ...process.env, LOG_LEVEL: 'warn' },
        timeout: 20_000,
      });
      expect(stdout).toBe(output);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
