import { access } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CompiledRoute, compileRoutes } from '@outrig/gateway/routes';
import { CliErrors } from '../errors.ts';
import type { SystemService } from '../system/system-file.ts';

/**
 * The gateway's route table: the `routes` export of its routes module (`services.<gateway>.routes`
 * in outrig.json, default `src/routes.ts`), validated as the gateway validates it. Imported, never
 * run as a program.
 */
export async function loadGatewayRoutes(gateway: SystemService): Promise<CompiledRoute[]> {
  const file = path.resolve(gateway.dir, gateway.routes);
  const fail = (reason: string, cause?: unknown) =>
    CliErrors.CLI_ROUTES_NOT_FOUND({ params: { service: gateway.name, file, reason }, cause });
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  if (!exists) throw fail('no such file');
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (cause) {
    throw fail(`importing it failed (${(cause as Error).message})`, cause);
  }
  if (mod.routes === undefined) throw fail('it has no `routes` export');
  const result = compileRoutes(mod.routes);
  if (!result.ok) throw fail(`the table is not valid: ${result.problems.join('; ')}`);
  return result.routes;
}
