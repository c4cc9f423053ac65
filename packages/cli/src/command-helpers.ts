import path from 'node:path';
import { isOutrigError } from '@outrig/core/errors';
import type { Command } from 'commander';
import { CliErrors } from './errors.ts';
import type { CliIo } from './io.ts';
import { loadSystem, type System } from './system/system-file.ts';

/** Options of every command that works on a system described by outrig.json. */
export interface SystemOptions {
  system?: string;
}

/** Adds `--system <dir>` (default: the current folder, or the nearest above it with outrig.json). */
export function systemOption(command: Command): Command {
  return command.option(
    '--system <dir>',
    'folder of the system (default: the nearest folder with outrig.json, from the current one up)',
  );
}

/** The system of `--system`, or of the current folder. */
export function systemOf(options: SystemOptions, io: CliIo): Promise<System> {
  return loadSystem(path.resolve(io.cwd, options.system ?? '.'));
}

/** Exit 2 with `error: <message>` and the `--help` hint. */
export function usageError(command: Command, message: string): never {
  command.error(`error: ${message}`, { exitCode: 2, code: 'outrig.usage' });
}

/** Coded errors pass through; anything else becomes CLI_COMMAND_FAILED naming the command. */
export function asCommandError(command: Command, cause: unknown): Error {
  if (isOutrigError(cause)) return cause;
  const err = cause as { code?: string; message?: string };
  const reason = [err.code, err.message].filter(Boolean).join(': ') || String(cause);
  const name: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) name.unshift(c.name());
  return CliErrors.CLI_COMMAND_FAILED({ params: { command: name.join(' '), reason }, cause });
}

/** A repeatable comma-separated option (`--only a,b --only c`): its values in order, trimmed. */
export function commaList(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}
