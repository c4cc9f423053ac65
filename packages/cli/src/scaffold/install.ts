import { spawn } from 'node:child_process';
import * as prompts from '@clack/prompts';
import { CliErrors } from '../errors.ts';
import type { CliIo } from '../io.ts';

/**
 * Runs `npm install` in `dir`: a spinner on a terminal, one line otherwise, nothing with `json`.
 * CLI_INSTALL_FAILED with the end of npm's output when it fails.
 */
export async function npmInstall(dir: string, io: CliIo, options: { json: boolean }): Promise<void> {
  const spin = io.terminal && !options.json && !io.env.CI ? prompts.spinner() : undefined;
  if (spin) spin.start('Installing dependencies (npm install)');
  else if (!options.json) io.stdout('Installing dependencies (npm install) …\n');
  const started = Date.now();
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn('npm', ['install', '--no-audit', '--no-fund'], {
      cwd: dir,
      env: { ...io.env, npm_config_update_notifier: 'false' } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const keep = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-4000);
      spin?.message(`Installing dependencies (npm install, ${Math.round((Date.now() - started) / 1000)} s)`);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (exit) => resolve({ code: exit, output: out }));
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  if (code !== 0) {
    spin?.error('npm install failed');
    const tail = output.trim().split('\n').slice(-8).join(' | ');
    throw CliErrors.CLI_INSTALL_FAILED({ params: { dir, code: String(code), output: tail } });
  }
  if (spin) spin.stop(`Dependencies installed (${seconds} s)`);
  else if (!options.json) io.stdout(`Dependencies installed (${seconds} s)\n`);
}
