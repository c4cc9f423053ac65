import { CoreErrors } from '../errors.ts';
import type { ConfigKey } from './config-key.ts';

/** A config schema: property name → key. */
export type ConfigSchema = Record<string, ConfigKey<unknown>>;

/** The typed values a schema produces. */
export type ConfigValues<S extends ConfigSchema> = {
  [K in keyof S]: S[K] extends ConfigKey<infer T>
    ? S[K]['optional'] extends true
      ? T | undefined
      : T
    : never;
};

/** One bad variable, as reported in `CONFIG_INVALID`'s details. */
export interface ConfigProblem {
  variable: string;
  expected: string;
  /** The value given, or `undefined` when the variable was missing. */
  got?: string;
}

/**
 * Reads every key of `schema` from `env` once, collecting every problem before failing.
 * Throws `CONFIG_INVALID` naming each bad variable and what it expects.
 *
 * @example
 * const config = loadConfig({ port: port({ env: 'SERVICE_PORT', doc: 'HTTP port', default: 8000 }) });
 */
export function loadConfig<S extends ConfigSchema>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): ConfigValues<S> {
  const values: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [name, k] of Object.entries(schema)) {
    const raw = env[k.env];
    if (raw === undefined || raw === '') {
      if (k.default !== undefined || k.optional) values[name] = k.default;
      else problems.push({ variable: k.env, expected: k.expected });
      continue;
    }
    try {
      values[name] = k.parse(raw);
    } catch (err) {
      problems.push({ variable: k.env, expected: (err as Error).message, got: raw });
    }
  }
  if (problems.length > 0) {
    const summary = problems.map(describeProblem).join('; ');
    throw CoreErrors.CONFIG_INVALID({ params: { summary }, details: { problems } });
  }
  return values as ConfigValues<S>;
}

function describeProblem(p: ConfigProblem): string {
  return p.got === undefined
    ? `${p.variable} is required: expected ${p.expected}`
    : `${p.variable}=${JSON.stringify(p.got)} is invalid: expected ${p.expected}`;
}

/** Renders a schema as a Markdown table (variable, default, doc) for READMEs and `--help`. */
export function describeConfig(schema: ConfigSchema): string {
  const rows = Object.values(schema).map(
    (k) => `| \`${k.env}\` | ${showDefault(k)} | ${k.doc} (${k.expected}) |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

function showDefault(k: ConfigKey<unknown>): string {
  if (k.default === undefined) return k.optional ? '—' : '**required**';
  const text = Array.isArray(k.default) ? k.default.join(',') : String(k.default);
  return text === '' ? '(empty)' : `\`${text}\``;
}
