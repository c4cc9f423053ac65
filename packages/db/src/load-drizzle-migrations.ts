import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DbErrors } from './errors.ts';
import type { Migration, MigrationSet } from './migration.ts';

interface JournalEntry {
  idx: number;
  tag: string;
  breakpoints?: boolean;
}

const BREAKPOINT = '--> statement-breakpoint';

/**
 * Reads the output folder of `drizzle-kit generate` (PostgreSQL dialect) as one migration set:
 * the entries of `meta/_journal.json` in order, each `<tag>.sql` split on
 * `--> statement-breakpoint`. The id of a migration is its tag (`0000_brave_thor`).
 *
 * Apply them with Outrig's {@link migrate} *or* with drizzle-orm's own migrator, not both: each
 * keeps its own record of what ran.
 *
 * @example
 * // drizzle.config.ts: { dialect: 'postgresql', schema: './src/models', out: './drizzle' }
 * const models = await loadDrizzleMigrations(path.resolve('drizzle'), 'orders');
 * await migrate(sql, [outboxMigrations, models]);
 */
export async function loadDrizzleMigrations(dir: string, setName: string): Promise<MigrationSet> {
  const invalid = (reason: string, cause?: unknown) =>
    DbErrors.DB_MIGRATION_INVALID({ params: { reason }, cause });
  const journalPath = path.join(dir, 'meta', '_journal.json');
  const text = await readFile(journalPath, 'utf8').catch((err: unknown) => {
    throw invalid(`${journalPath} not found: is ${dir} a drizzle-kit output folder?`, err);
  });
  let journal: { dialect?: string; entries?: JournalEntry[] };
  try {
    journal = JSON.parse(text);
  } catch (err) {
    throw invalid(`${journalPath} is not valid JSON`, err);
  }
  if (journal.dialect !== undefined && journal.dialect !== 'postgresql') {
    throw invalid(`${journalPath} is for dialect ${journal.dialect}, not postgresql`);
  }
  if (!Array.isArray(journal.entries)) throw invalid(`${journalPath} has no entries`);
  const entries = [...journal.entries].sort((a, b) => a.idx - b.idx);
  const migrations: Migration[] = [];
  for (const entry of entries) {
    if (typeof entry.tag !== 'string') throw invalid(`${journalPath} has an entry without tag`);
    const file = path.join(dir, `${entry.tag}.sql`);
    const body = await readFile(file, 'utf8').catch((err: unknown) => {
      throw invalid(`${file} is listed in the journal but missing`, err);
    });
    migrations.push({ id: entry.tag, sql: statementsOf(body, entry.breakpoints !== false).join('\n') });
  }
  return { name: setName, migrations };
}

/** drizzle-kit separates statements with a marker line; each statement keeps its `;`. */
function statementsOf(body: string, hasBreakpoints: boolean): string[] {
  const parts = hasBreakpoints ? body.split(BREAKPOINT) : [body];
  return (
    parts
      .map((s) => s.trim())
      .filter((s) => s !== '')
      // A statement ending in a `--` comment needs its `;` on a line of its own.
      .map((s) => (s.endsWith(';') ? s : `${s}\n;`))
  );
}
