import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { FilePlan } from './file-plan.ts';

/**
 * Formats the written `.ts` and `.json` files (and sorts their imports) with the system's own Biome, when
 * it is installed
 * (the templates are written formatted; this settles line breaks that depend on name lengths).
 */
export async function formatWritten(plan: FilePlan): Promise<void> {
  const biome = path.join(plan.root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');
  if (
    !(await access(biome).then(
      () => true,
      () => false,
    ))
  )
    return;
  const files = plan
    .files()
    .map((f) => f.path)
    .filter((f) => /\.(ts|json)$/.test(f) && !f.includes('/drizzle/meta/'));
  if (files.length === 0) return;
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, [biome, 'check', '--write', ...files], {
      cwd: plan.root,
      stdio: 'ignore',
    });
    child.on('error', () => resolve());
    child.on('close', () => resolve());
  });
}
