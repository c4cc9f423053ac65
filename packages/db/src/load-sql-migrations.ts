import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DbErrors } from './errors.ts';
import type { Migration, MigrationSet } from './migration.ts';

const FILE_NAME = /^(\d+)_(.+)\.sql$/;

/**
 * Reads a folder of `NNNN_name.sql` files as one migration set, ordered by their number
 * (`0002_x` before `0010_y`). The id of a migration is its file name without `.sql`. Files that
 * do not end in `.sql` are ignored; a `.sql` file without a number, or two files with the same
 * number, fail with DB_MIGRATION_INVALID (a misnamed migration would otherwise never run).
 *
 * @example
 * const orders = await loadSqlMigrations(new URL('../migrations', import.meta.url).pathname, 'orders');
 * await migrate(sql, [orders]);
 */
export async function loadSqlMigrations(dir: string, setName: string): Promise<MigrationSet> {
  const names = await readdir(dir).catch((err: unknown) => {
    throw DbErrors.DB_MIGRATION_INVALID({ params: { reason: `cannot read folder ${dir}` }, cause: err });
  });
  const files = names
    .filter((name) => name.endsWith('.sql'))
    .map((name) => {
      const match = FILE_NAME.exec(name);
      if (!match) {
        throw DbErrors.DB_MIGRATION_INVALID({
          params: { reason: `${path.join(dir, name)} is not named NNNN_name.sql` },
        });
      }
      return { name, number: BigInt(match[1]!) };
    })
    .sort((a, b) => (a.number === b.number ? 0 : a.number < b.number ? -1 : 1));
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.number === files[i - 1]!.number) {
      throw DbErrors.DB_MIGRATION_INVALID({
        params: { reason: `${files[i - 1]!.name} and ${files[i]!.name} in ${dir} share a number` },
      });
    }
  }
  const migrations: Migration[] = [];
  for (const file of files) {
    migrations.push({
      id: file.name.slice(0, -'.sql'.length),
      sql: await readFile(path.join(dir, file.name), 'utf8'),
    });
  }
  return { name: setName, migrations };
}
