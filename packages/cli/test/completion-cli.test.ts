/**
 * `outrig completion`: the bash script, generated from the program, run by a real bash to
 * complete partial command lines; zsh and fish scripts name the same commands.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outrig } from './support/outrig-bin.ts';

/** What bash's completion function offers for `words` (the cursor on the last word). */
function complete(script: string, words: readonly string[]): Promise<string[]> {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const program = `source '${script}'
COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}
_outrig_completion
printf '%s\\n' "\${COMPREPLY[@]}"`;
  return new Promise((resolve, reject) => {
    execFile('bash', ['--norc', '--noprofile', '-c', program], (err, stdout, stderr) => {
      if (err) reject(new Error(`bash failed: ${stderr}`));
      else resolve(stdout.split('\n').filter(Boolean));
    });
  });
}

describe('outrig completion', { timeout: 60_000 }, () => {
  let dir: string;
  let script: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'outrig-completion-'));
    const r = await outrig(['completion', 'bash']);
    expect(r.code).toBe(0);
    script = path.join(dir, 'outrig.bash');
    await writeFile(script, r.stdout);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('bash: `outrig ou` completes to outbox', async () => {
    expect(await complete(script, ['outrig', 'ou'])).toEqual(['outbox']);
  });

  it('bash: subcommands and options at every level, taken from the program', async () => {
    expect(await complete(script, ['outrig', ''])).toEqual([
      'outbox',
      'dev',
      'db',
      'events',
      'doctor',
      'completion',
      'test',
      'contract',
      'saga',
      'new',
      'add',
      'deploy',
    ]);
    expect(await complete(script, ['outrig', 'deploy', ''])).toEqual(['render', 'certs']);
    expect(await complete(script, ['outrig', 'saga', ''])).toEqual([
      'list',
      'show',
      'retry',
      'abort',
      'resume-compensation',
    ]);
    expect(await complete(script, ['outrig', 'test', 'api', 'http://x', '--se'])).toEqual(['--seed']);
    expect(await complete(script, ['outrig', 'add', ''])).toEqual(['service', 'resource']);
    expect(await complete(script, ['outrig', 'db', 're'])).toEqual(['reset']);
    expect(await complete(script, ['outrig', 'events', 'tail', 'x.events', '--'])).toEqual([
      '--bus-url',
      '--json',
      '--count',
      '--system',
      '--help',
    ]);
    expect(await complete(script, ['outrig', 'db', 'reset', 'orders', '--y'])).toEqual(['--yes']);
    expect(await complete(script, ['outrig', 'outbox', 'retry', '--a'])).toEqual(['--aggregate', '--all']);
  });

  it('zsh and fish scripts cover the same commands; an unknown shell is a usage error', async () => {
    const zsh = await outrig(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toContain('bashcompinit');
    expect(zsh.stdout).toContain("'db migrate') path=$next ;;");
    const fish = await outrig(['completion', 'fish']);
    expect(fish.code).toBe(0);
    expect(fish.stdout).toContain(
      "complete -c outrig -n '__fish_seen_subcommand_from db; and not __fish_seen_subcommand_from migrate status generate reset url shell' -a migrate",
    );
    const bad = await outrig(['completion', 'powershell']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error: unknown shell "powershell": expected bash, zsh or fish');
  });
});
