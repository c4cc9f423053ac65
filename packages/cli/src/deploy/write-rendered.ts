import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What happened to one rendered file. */
export interface RenderedFile {
  /** Relative to the output folder. */
  readonly file: string;
  /** `stale`: on disk in a rendered folder but no longer rendered (never deleted). */
  readonly status: 'created' | 'updated' | 'unchanged' | 'stale';
}

/**
 * Writes each file whose content differs from what is on disk, and nothing else: a second render
 * without a change writes nothing. With `dryRun`, only reports. Shell scripts are made executable.
 */
export async function writeRendered(
  outDir: string,
  files: ReadonlyMap<string, string>,
  dryRun = false,
): Promise<RenderedFile[]> {
  const out: RenderedFile[] = [];
  for (const [file, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const target = path.join(outDir, file);
    const current = await readFile(target, 'utf8').catch(() => undefined);
    const status = current === undefined ? 'created' : current === content ? 'unchanged' : 'updated';
    out.push({ file, status });
    if (status === 'unchanged' || dryRun) continue;
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    if (file.endsWith('.sh')) await chmod(target, 0o755);
  }
  return out;
}

/** Files a render never writes even in its folders: secrets and certificates. */
const NOT_RENDERED = /(^|\/)(\.env|certs\/.*)$/;

/**
 * Files under `dirs` (relative to `outDir`) that this render did not produce — left from a
 * service since removed, say. Reported as `stale`, never deleted (they are the team's files).
 */
export async function staleFiles(
  outDir: string,
  dirs: readonly string[],
  files: ReadonlyMap<string, string>,
): Promise<RenderedFile[]> {
  const out: RenderedFile[] = [];
  for (const dir of dirs) {
    const entries = await readdir(path.join(outDir, dir), { recursive: true, withFileTypes: true }).catch(
      () => [],
    );
    for (const e of entries) {
      if (!e.isFile()) continue;
      const file = path.relative(outDir, path.join(e.parentPath, e.name)).split(path.sep).join('/');
      if (!files.has(file) && !NOT_RENDERED.test(file)) out.push({ file, status: 'stale' });
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}
