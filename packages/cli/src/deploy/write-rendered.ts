import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What happened to one rendered file. */
export interface RenderedFile {
  /** Relative to the output folder. */
  readonly file: string;
  readonly status: 'created' | 'updated' | 'unchanged';
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
