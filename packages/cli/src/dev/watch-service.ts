import { type FSWatcher, watch } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Folders never watched: dependencies, local state, build output, tests (never loaded by the service). */
const IGNORED_DIRS = new Set(['node_modules', '.outrig', '.git', 'dist', 'coverage', 'test']);

/** Whether a changed file (relative to the service folder) may change what the process runs. */
export function isWatched(relative: string): boolean {
  const parts = relative.split(/[\\/]/);
  if (parts.some((p) => IGNORED_DIRS.has(p))) return false;
  const base = parts.at(-1) ?? '';
  return !(base.endsWith('.test.ts') || base.startsWith('.') || base.endsWith('~') || base.endsWith('.log'));
}

/** A running watch; `close()` ends it. */
export interface ServiceWatch {
  close(): void;
}

/**
 * Watches `dir` for changes and calls `onChange(file)` once per burst of changes (an editor's
 * save is several events), `debounceMs` after the last one, with the last file changed.
 * Ignored folders are never watched (a big node_modules would cost a watch per folder).
 */
export async function watchService(
  dir: string,
  onChange: (file: string) => void,
  debounceMs = 80,
): Promise<ServiceWatch> {
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  let closed = false;
  const changed = (relative: string) => {
    if (closed || !isWatched(relative)) return;
    last = relative;
    clearTimeout(timer);
    timer = setTimeout(() => onChange(last), debounceMs);
  };
  const add = (key: string, target: string, recursive: boolean, prefix: string) => {
    if (watchers.has(key)) return;
    try {
      const w = watch(target, { recursive }, (_type, name) => {
        if (name === null) return;
        changed(path.join(prefix, name.toString()));
        if (!recursive) void scan(); // a new top-level folder: watch it too
      });
      w.on('error', () => watchers.delete(key));
      watchers.set(key, w);
    } catch {}
  };
  const scan = async () => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (closed) return;
      if (e.isDirectory() && !IGNORED_DIRS.has(e.name) && !e.name.startsWith('.')) {
        add(e.name, path.join(dir, e.name), true, e.name);
      }
    }
  };
  add('.', dir, false, '');
  await scan();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
