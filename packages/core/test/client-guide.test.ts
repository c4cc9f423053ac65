import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const guide = join(root, 'docs', 'guides', 'calling-other-services.md');
const MARKER = '<!-- example: calling-other-services.ts -->';

/** The fenced code block right after the marker, and the block after "It prints:". */
async function guideExample(): Promise<{ code: string; output: string }> {
  const text = await readFile(guide, 'utf8');
  const after = text.slice(text.indexOf(MARKER) + MARKER.length);
  const code = /```ts\n([\s\S]*?)```/.exec(after)?.[1];
  const output = /It prints:\n\n```\n([\s\S]*?)```/.exec(after)?.[1];
  if (!code || !output) throw new Error(`no example after ${MARKER} in ${guide}`);
  return { code, output };
}

describe('docs/guides/calling-other-services.md', () => {
  it('runs the example as a real process and prints what the guide says', async () => {
    const { code, output } = await guideExample();
    const dir = await mkdtemp(join(tmpdir(), 'outrig-client-guide-'));
    try {
      // The same code, with the package name pointing at this checkout's source.
      const file = join(dir, 'calling-other-services.ts');
      const entry = join(root, 'packages', 'core', 'src', 'index.ts');
      await writeFile(file, code.replace(`from '@outrig/core'`, `from '${entry}'`));
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
