import type { CliIo } from '../io.ts';
import type { FilePlan } from './file-plan.ts';

/** Prints what a plan wrote (or would write, with `dryRun`): one line per file, or JSON. */
export function reportFiles(
  io: CliIo,
  plan: FilePlan,
  options: { dryRun: boolean; json: boolean; extra?: Record<string, unknown> },
): void {
  const files = plan.files().map((f) => ({ path: f.path, action: f.action }));
  if (options.json) {
    io.stdout(
      `${JSON.stringify({ root: plan.root, dryRun: options.dryRun, ...options.extra, files }, null, 2)}\n`,
    );
    return;
  }
  io.stdout(
    options.dryRun
      ? `Would write (--dry-run: nothing written) in ${plan.root}:\n`
      : `Wrote in ${plan.root}:\n`,
  );
  for (const file of files) io.stdout(`  ${file.action === 'create' ? 'create' : 'update'}  ${file.path}\n`);
}
