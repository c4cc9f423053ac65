import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, outrig } from './support/cli-process.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'outrig-new-prompts-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** Strips colours and cursor moves from a terminal's output. */
const ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
const plain = (text: string) => text.replace(ESCAPE, '');

/**
 * Runs `outrig new` in a pseudo-terminal (util-linux `script`), typing `keys` after each prompt
 * text appears. Resolves with the exit code and what the terminal showed.
 */
function inTerminal(
  args: string,
  answers: [prompt: string, keys: string][],
): Promise<{ code: number | null; screen: string }> {
  const command = `stty cols 120 rows 40; '${process.execPath}' '${BIN}' ${args}`;
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  const pending = [...answers];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    screen += chunk;
    while (pending.length > 0 && plain(screen).includes(pending[0]![0])) {
      const [, keys] = pending.shift()!;
      setTimeout(() => child.stdin.write(keys), 150);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen: plain(screen) });
    }),
  );
}

describe('outrig new: answers from flags, a terminal, or an error naming the flag', () => {
  it('without a terminal, a missing answer exits non-zero naming its flag, and writes nothing', async () => {
    const none = await outrig(['new', 'sys', '--no-install'], work);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('CLI_ANSWER_MISSING');
    expect(none.stderr).toContain('pass --service <name>');
    const some = await outrig(['new', 'sys', '--service', 'orders-service', '--transport', 'nats'], work);
    expect(some.code).toBe(1);
    expect(some.stderr).toContain('--registry local|etcd|consul|dns');
    const noAuth = await outrig(
      ['new', 'sys', '--service', 'a-service', '--transport', 'nats', '--registry', 'local'],
      work,
    );
    expect(noAuth.code).toBe(1);
    expect(noAuth.stderr).toContain('pass --auth or --no-auth');
    const clash = await outrig(['new', 'sys', '--yes', '--auth', '--service', 'auth-service'], work);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('CLI_ANSWERS_CONFLICT');
    expect(await readdir(work)).toEqual([]);
  });

  it('refuses a folder that is not empty; --dry-run --json lists the files and writes none', async () => {
    await mkdir(join(work, 'taken'));
    await writeFile(join(work, 'taken', 'notes.txt'), 'mine');
    const taken = await outrig(['new', 'taken', '--yes'], work);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('CLI_DIR_NOT_EMPTY');
    const dry = await outrig(
      ['new', 'dry', '--yes', '--dry-run', '--json', '--service', 'orders-service'],
      work,
    );
    expect(dry.code, dry.stderr).toBe(0);
    const result = JSON.parse(dry.stdout);
    expect(result).toMatchObject({ name: 'dry', dryRun: true, installed: false });
    expect(result.files.map((f: { path: string }) => f.path)).toEqual(
      expect.arrayContaining(['outrig.json', 'services/orders-service/src/routes/v1/orders.ts', '.ci/run']),
    );
    const auth = await outrig(['new', 'guarded', '--yes', '--auth', '--dry-run', '--json'], work);
    expect(auth.code, auth.stderr).toBe(0);
    const planned = JSON.parse(auth.stdout);
    expect(planned.answers).toMatchObject({ auth: true });
    const paths = planned.files.map((f: { path: string }) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'services/auth-service/src/service.ts',
        'services/auth-service/src/config.ts',
        'services/auth-service/src/migrations.ts',
        'services/auth-service/test/auth-api.test.ts',
        'services/auth-service/test/through-gateway.test.ts',
        'services/notes-service/test/support.ts',
      ]),
    );
    expect(await readdir(work)).toEqual(['taken']);
  });

  it('on a terminal, asks every answer not given (clack prompts) and records the answers', async () => {
    const { code, screen } = await inTerminal(`new asked --no-install --link-packages '${REPO}'`, [
      ['Name of the first service', 'shop-service\r'],
      ['Event transport', '\x1b[B\r'], // down: nats
      ['Service registry', '\x1b[B\x1b[B\r'], // consul
      ['Add an auth service', '\x1b[D\r'], // left: Yes
    ]);
    expect(code, screen).toBe(0);
    expect(screen).toContain('create  services/shop-service/src/routes/v1/shops.ts');
    const system = JSON.parse(await readFile(join(work, 'asked', 'outrig.json'), 'utf8'));
    expect(system.template.answers).toEqual({
      service: 'shop-service',
      transport: 'nats',
      registry: 'consul',
      auth: true,
    });
    expect(system.services['auth-service']).toMatchObject({ auth: true });
    expect(screen).toContain('create  services/auth-service/src/service.ts');
    expect(system.transport).toBe('nats');
    const pkg = JSON.parse(await readFile(join(work, 'asked', 'services/shop-service/package.json'), 'utf8'));
    expect(pkg.dependencies).toHaveProperty('@outrig/messaging-nats');
  }, 120_000);
});
