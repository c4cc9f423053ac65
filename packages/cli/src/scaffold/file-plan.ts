import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CliErrors } from '../errors.ts';

/** One file a generator writes: created (new) or updated (an existing file edited). */
export interface PlannedFile {
  /** Relative to the plan's root, with `/`. */
  readonly path: string;
  readonly content: string;
  readonly action: 'create' | 'update';
}

/**
 * The files a generator will write, kept in memory until {@link FilePlan.commit}: generators
 * read through it (their own pending writes first, then the disk), so `--dry-run` shows
 * exactly what a real run writes, and a failure half-way leaves the disk untouched.
 */
export class FilePlan {
  readonly root: string;
  readonly #files = new Map<string, PlannedFile>();

  constructor(root: string) {
    this.root = root;
  }

  /** A new file; CLI_FILE_EXISTS if it exists on disk or in the plan. */
  async create(file: string, content: string): Promise<void> {
    if (this.#files.has(file) || (await this.#disk(file)) !== undefined) {
      throw CliErrors.CLI_FILE_EXISTS({ params: { file: path.join(this.root, file) } });
    }
    this.#files.set(file, { path: file, content, action: 'create' });
  }

  /** Replaces the content of a file read with {@link read}. */
  update(file: string, content: string): void {
    const planned = this.#files.get(file);
    this.#files.set(file, { path: file, content, action: planned?.action ?? 'update' });
  }

  /** The file's content (planned, else on disk); undefined when it exists in neither. */
  async read(file: string): Promise<string | undefined> {
    return this.#files.get(file)?.content ?? (await this.#disk(file));
  }

  /** Like {@link read}, but CLI_SYSTEM_INVALID when the file is missing. */
  async require(file: string): Promise<string> {
    const content = await this.read(file);
    if (content === undefined) {
      throw CliErrors.CLI_SYSTEM_INVALID({
        params: { file: path.join(this.root, file), reason: 'the file is missing' },
      });
    }
    return content;
  }

  /** The planned files, in the order they were first planned. */
  files(): PlannedFile[] {
    return [...this.#files.values()];
  }

  /** Writes every planned file (creating folders). */
  async commit(): Promise<void> {
    for (const file of this.#files.values()) {
      const target = path.join(this.root, file.path);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, file.content, file.path.endsWith('/run') ? { mode: 0o755 } : {});
    }
  }

  async #disk(file: string): Promise<string | undefined> {
    try {
      return await readFile(path.join(this.root, file), 'utf8');
    } catch {
      return undefined;
    }
  }
}

/**
 * Inserts `lines` above the line holding `marker` in `content`, with that line's indentation.
 * CLI_SCAFFOLD_MARKER_MISSING when the marker is gone.
 */
export function insertAtMarker(
  content: string,
  marker: string,
  lines: string,
  where: { file: string; what: string },
): string {
  const all = content.split('\n');
  const at = all.findIndex((line) => line.trim() === `// ${marker}`);
  if (at === -1)
    throw CliErrors.CLI_SCAFFOLD_MARKER_MISSING({ params: { ...where, marker: `// ${marker}` } });
  const indent = all[at]!.match(/^\s*/)![0];
  const added = lines
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => indent + line);
  all.splice(at, 0, ...added);
  return all.join('\n');
}

/**
 * Adds single-line `imports` to the import block at the top of `content`, in the order Biome's
 * organizeImports keeps (`node:` first, then packages, then relative paths, each alphabetical).
 */
export function addImports(content: string, imports: readonly string[]): string {
  const all = content.split('\n');
  let end = 0;
  while (end < all.length && (all[end]!.startsWith('import ') || all[end]!.startsWith('//'))) end++;
  const head = all.slice(0, end).filter((line) => line.startsWith('import '));
  const comments = all.slice(0, end).filter((line) => !line.startsWith('import '));
  const merged = [...new Set([...head, ...imports])].sort((a, b) => {
    const [ka, kb] = [importKey(a), importKey(b)];
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return [...comments, ...merged, ...all.slice(end)].join('\n');
}

function importKey(line: string): string {
  const source = line.match(/from '([^']+)'/)?.[1] ?? '';
  const rank = source.startsWith('node:')
    ? 0
    : source.startsWith('.')
      ? source.startsWith('../')
        ? 2
        : 3
      : 1;
  return `${rank}${source}`;
}
