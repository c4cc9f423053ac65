import { describe, expect, it } from 'vitest';
import type { MigrationSet } from '../migration.ts';
import {
  type AppliedRow,
  migrationChecksum,
  planMigrations,
  problemsOf,
  validateSets,
} from './migration-plan.ts';

const set: MigrationSet = {
  name: 'app',
  migrations: [
    { id: '0001_a', sql: 'create table a(id int);' },
    { id: '0002_b', sql: 'create table b(id int);' },
    { id: '0003_c', sql: 'create table c(id int);' },
  ],
};
const at = new Date('2026-01-01T00:00:00Z');
const row = (id: string, sql: string): AppliedRow => ({
  set_name: 'app',
  id,
  checksum: migrationChecksum(sql),
  applied_at: at,
});

describe('planMigrations', () => {
  it('marks recorded migrations applied and the rest pending, in file order', () => {
    const plan = planMigrations([set], [row('0001_a', 'create table a(id int);')]);
    expect(plan.map((p) => [p.id, p.state])).toEqual([
      ['0001_a', 'applied'],
      ['0002_b', 'pending'],
      ['0003_c', 'pending'],
    ]);
    expect(problemsOf(plan)).toEqual([]);
  });

  it('reports an edited applied migration as mismatched', () => {
    const plan = planMigrations([set], [row('0001_a', 'create table a(id bigint);')]);
    expect(problemsOf(plan).map((p) => [p.id, p.state])).toEqual([['0001_a', 'mismatched']]);
  });

  it('reports a recorded migration without a file as missing', () => {
    const plan = planMigrations([set], [row('0000_gone', 'select 1')]);
    expect(problemsOf(plan).map((p) => [p.id, p.state])).toEqual([['0000_gone', 'missing']]);
  });

  it('reports a pending migration before an applied one as out-of-order', () => {
    const plan = planMigrations(
      [set],
      [row('0001_a', set.migrations[0]!.sql), row('0003_c', set.migrations[2]!.sql)],
    );
    expect(plan.map((p) => p.state)).toEqual(['applied', 'out-of-order', 'applied']);
  });

  it('ignores rows of other sets', () => {
    const other: AppliedRow = { ...row('0001_a', 'x'), set_name: 'other' };
    expect(planMigrations([set], [other]).every((p) => p.state === 'pending')).toBe(true);
  });
});

describe('migrationChecksum', () => {
  it('reads CRLF as LF but sees any other edit', () => {
    expect(migrationChecksum('a;\r\nb;')).toBe(migrationChecksum('a;\nb;'));
    expect(migrationChecksum('a;\nb;')).not.toBe(migrationChecksum('a;\nb; '));
  });
});

describe('validateSets', () => {
  it('refuses duplicate set names and duplicate ids', () => {
    expect(() => validateSets([set, set])).toThrow(expect.objectContaining({ code: 'DB_MIGRATION_INVALID' }));
    const dup: MigrationSet = { name: 'x', migrations: [set.migrations[0]!, set.migrations[0]!] };
    expect(() => validateSets([dup])).toThrow(/two migrations with id 0001_a/);
  });
});
