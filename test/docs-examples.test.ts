import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Every example a doc marks with `<!-- example: <file>.ts -->` is run as a real process, as a
// reader would run it, and must print exactly the block that follows "It prints:". The file is
// written under <repo>/.outrig/doc-examples so that `@outrig/*` and other packages resolve from
// this checkout's node_modules, unchanged.

const root = join(import.meta.dirname, '..');
const MARKER = /<!-- example: ([\w.-]+\.ts) -->/g;

interface DocExample {
  doc: string;
  file: string;
  code: string;
  output: string;
}

async function markdownFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory())
        return e.name === 'node_modules' || e.name.startsWith('.') ? [] : markdownFiles(path);
      return e.name.endsWith('.md') ? [path] : [];
    }),
  );
  return nested.flat();
}

async function docExamples(): Promise<DocExample[]> {
  const docs = [
    join(root, 'README.md'),
    ...(await markdownFiles(join(root, 'docs'))),
    ...(await markdownFiles(join(root, 'packages'))),
    ...(await markdownFiles(join(root, 'examples'))),
  ];
  const examples: DocExample[] = [];
  for (const doc of docs) {
    const text = await readFile(doc, 'utf8');
    for (const match of text.matchAll(MARKER)) {
      const after = text.slice((match.index ?? 0) + match[0].length);
      const code = /```ts\n([\s\S]*?)```/.exec(after)?.[1];
      const output = /It prints:\n\n```\n([\s\S]*?)```/.exec(after)?.[1];
      if (!code || !output) throw new Error(`${doc}: no ts block and "It prints:" block after ${match[0]}`);
      examples.push({ doc: relative(root, doc), file: match[1] as string, code, output });
    }
  }
  return examples;
}

const examples = await docExamples();
const dir = join(root, '.outrig', 'doc-examples');

describe('examples in the docs run and print what the docs say', () => {
  it('finds the marked examples', () => {
    expect(examples.map((e) => e.doc)).toEqual(
      expect.arrayContaining([
        'docs/guides/authentication-and-authorization.md',
        'docs/guides/calling-other-services.md',
      ]),
    );
  });

  it.each(examples.map((e) => [`${e.doc} → ${e.file}`, e] as const))('%s', async (_name, example) => {
    await mkdir(dir, { recursive: true });
    const file = join(dir, example.file);
    await writeFile(file, example.code);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [file], {
        cwd: dir,
        env: { ...process.env, LOG_LEVEL: 'warn' },
        timeout: 20_000,
      });
      expect(stdout).toBe(example.output);
    } finally {
      await rm(file, { force: true });
    }
  });
});

// A shell block marked `<!-- example-sh: <name>.sh -->` is run with bash, `set -e`, in a fresh
// folder outside this repository, and must exit 0. `npx outrig` runs this checkout's CLI there
// (the registry's `outrig` is not Outrig's: it must never be fetched by a test).
const SH_MARKER = /<!-- example-sh: ([\w.-]+\.sh) -->/g;

async function shellExamples(): Promise<{ doc: string; file: string; code: string }[]> {
  const docs = [join(root, 'README.md'), ...(await markdownFiles(join(root, 'docs')))];
  const found: { doc: string; file: string; code: string }[] = [];
  for (const doc of docs) {
    const text = await readFile(doc, 'utf8');
    for (const match of text.matchAll(SH_MARKER)) {
      const code = /^\s*```sh\n([\s\S]*?)```/.exec(text.slice((match.index ?? 0) + match[0].length))?.[1];
      if (!code) throw new Error(`${doc}: no sh block right after ${match[0]}`);
      found.push({ doc: relative(root, doc), file: match[1] as string, code });
    }
  }
  return found;
}

const shell = await shellExamples();

describe('shell examples in the docs run', () => {
  it('finds the marked shell examples', () => {
    expect(shell.map((e) => e.doc)).toContain('docs/guides/start-a-new-system.md');
  });

  it.each(shell.map((e) => [`${e.doc} → ${e.file}`, e] as const))(
    '%s',
    async (_name, example) => {
      const work = await mkdtemp(join(tmpdir(), 'outrig-doc-sh-'));
      const bin = join(root, 'packages', 'cli', 'src', 'bin.ts');
      const script = `set -euo pipefail
npx() { if [ "$1" = outrig ]; then shift; "${process.execPath}" "${bin}" "$@"; else command npx "$@"; fi; }
${example.code}`;
      try {
        const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|CI$)/.test(k)));
        const result = await promisify(execFile)('bash', ['-c', script], {
          cwd: work,
          env,
          timeout: 120_000,
        });
        expect(result.stderr).not.toMatch(/error:/);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
