import { access } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MigrationSet } from '@outrig/db';
import { CliErrors } from '../errors.ts';
import { SYSTEM_FILE, type System, type SystemService } from './system-file.ts';

/** The service called `name`, or CLI_SERVICE_UNKNOWN listing the system's services. */
export function findService(system: System, name: string): SystemService {
  const service = system.services.find((s) => s.name === name);
  if (service) return service;
  throw CliErrors.CLI_SERVICE_UNKNOWN({
    params: {
      service: name,
      file: path.join(system.root, SYSTEM_FILE),
      services: system.services.map((s) => s.name).join(', ') || '(none)',
    },
  });
}

/** The service, which must keep a database (CLI_SERVICE_NO_DATABASE otherwise). */
export function findDatabaseService(system: System, name: string): SystemService {
  const service = findService(system, name);
  if (!service.database) throw CliErrors.CLI_SERVICE_NO_DATABASE({ params: { service: name } });
  return service;
}

/**
 * The service's migration sets: the `migrations` export of its migrations module
 * (`services.<name>.migrations` in outrig.json, default `src/migrations.ts`) — an array of
 * MigrationSet, or a function (sync or async) returning one. Imported, never run as a program.
 */
export async function loadServiceMigrations(service: SystemService): Promise<MigrationSet[]> {
  const file = path.resolve(service.dir, service.migrations);
  const fail = (reason: string, cause?: unknown) =>
    CliErrors.CLI_MIGRATIONS_NOT_FOUND({ params: { service: service.name, file, reason }, cause });
  if (!(await exists(file))) throw fail('no such file');
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (cause) {
    throw fail(`importing it failed (${(cause as Error).message})`, cause);
  }
  const exported = mod.migrations;
  if (exported === undefined) throw fail('it has no `migrations` export');
  let sets: unknown;
  try {
    sets = typeof exported === 'function' ? await (exported as () => unknown)() : exported;
  } catch (cause) {
    throw fail(`migrations() failed (${(cause as Error).message})`, cause);
  }
  if (
    !Array.isArray(sets) ||
    sets.some((s) => typeof s?.name !== 'string' || !Array.isArray(s?.migrations))
  ) {
    throw fail('`migrations` is not MigrationSet[] (nor a function returning one)');
  }
  return sets as MigrationSet[];
}

export async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
