import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../src/rotate-keys.ts', import.meta.url));
const hasPg = await serverAvailable('postgres');
let db: TestDatabase;
beforeAll(async () => {
  if (hasPg) db = await createTestDatabase('auth_rotate_cmd');
});
afterAll(() => db?.drop());

describe.skipIf(!hasPg)('npm run auth:rotate-keys', () => {
  it('migrates a fresh database and creates a key; the next run pre-publishes its successor; --now switches at once', async () => {
    const env = { ...process.env, DATABASE_URL_AUTH_SERVICE: db.url, AUTH_ACCESS_TTL_S: '60' };
    const first = await run(process.execPath, [SCRIPT], { env });
    const kid1 = /new signing key ([\w-]+), published now/.exec(first.stdout)?.[1];
    expect(first.stdout).toContain('(in 0 s)'); // nothing signed yet: active at once
    const second = await run(process.execPath, [SCRIPT], { env });
    const kid2 = /new signing key ([\w-]+)/.exec(second.stdout)?.[1];
    expect(second.stdout).toContain('(in 360 s)');
    expect(second.stdout).toContain(`replaces ${kid1} (signing until then, published 360 s longer)`);
    const { rows } = await db.sql.query<{ kid: string; hands_over: boolean; keep_s: number }>(
      `SELECT kid, retired_at = (SELECT activates_at FROM signing_keys WHERE kid = $1) AS hands_over,
         round(extract(epoch FROM expires_at - retired_at))::int AS keep_s
       FROM signing_keys ORDER BY activates_at`,
      [kid2],
    );
    expect(rows).toEqual([
      { kid: kid1, hands_over: true, keep_s: 360 },
      { kid: kid2, hands_over: null, keep_s: null },
    ]);
    const now = await run(process.execPath, [SCRIPT, '--now'], { env });
    expect(now.stdout).toContain('(in 0 s)');
    const bad = await run(process.execPath, [SCRIPT, '--activate-in', 'soon'], { env }).catch((e) => e);
    expect(bad.code).toBe(64);
  });
});
