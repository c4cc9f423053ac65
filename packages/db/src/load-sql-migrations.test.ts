import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSqlMigrations } from './load-sql-migrations.ts';

describe('loadSqlMigrations', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'outrig-sqlmig-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('orders files by number, not by text, and ignores non-SQL files', async () => {
    await writeFile(path.join(dir, '10_late.sql'), 'select 10;');
    await writeFile(path.join(dir, '2_early.sql'), 'select 2;');
    await writeFile(path.join(dir, 'README.md'), '# notes');
    const set = await loadSqlMigrations(dir, 'orders');
    expect(set).toEqual({
      name: 'orders',
      migrations: [
        { id: '2_early', sql: 'select 2;' },
        { id: '10_late', sql: 'select 10;' },
      ],
    });
  });

  it('refuses a misnamed .sql file rather than never running it', async () => {
    await writeFile(path.join(dir, 'create_users.sql'), 'select 1;');
    await expect(loadSqlMigrations(dir, 'x')).rejects.toMatchObject({ code: 'DB_MIGRATION_INVALID' });
  });

  it('refuses two files with the same number', async () => {
    await writeFile(path.join(dir, '0001_a.sql'), 'select 1;');
    await writeFile(path.join(dir, '1_b.sql'), 'select 1;');
    await expect(loadSqlMigrations(dir, 'x')).rejects.toThrow(/share a number/);
  });

  it('refuses a missing folder', async () => {
    await expect(loadSqlMigrations(path.join(dir, 'nope'), 'x')).rejects.toMatchObject({
      code: 'DB_MIGRATION_INVALID',
    });
  });
});
