import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** File under `<home>/.outrig/` that remembers the port the embedded server last listened on. */
export const PORT_FILE = 'postgres.port';

/** Which port to start the embedded server on, and whether it must be exactly that one. */
export interface EmbeddedPort {
  readonly port: number;
  /** True when the user asked for this port (`OUTRIG_PG_PORT`): taken means an error. */
  readonly strict: boolean;
}

/**
 * `OUTRIG_PG_PORT` (strict; `0` = any free port), else the port remembered in
 * `<home>/.outrig/postgres.port` from an earlier run that had to move off a taken port, else
 * `fallback` (outrig.json `dev.postgresPort`, default 5488). A server already running on the
 * data directory is used wherever it listens.
 */
export async function embeddedPostgresPort(
  home: string,
  env: Readonly<Record<string, string | undefined>>,
  fallback: number,
): Promise<EmbeddedPort> {
  const asked = env.OUTRIG_PG_PORT;
  if (asked !== undefined && asked !== '') {
    const port = Number(asked);
    if (Number.isInteger(port) && port >= 0 && port <= 65_535) return { port, strict: port !== 0 };
  }
  const remembered = Number(
    (await readFile(path.join(home, '.outrig', PORT_FILE), 'utf8').catch(() => '')).trim(),
  );
  if (Number.isInteger(remembered) && remembered > 0 && remembered <= 65_535) {
    return { port: remembered, strict: false };
  }
  return { port: fallback, strict: false };
}

/** Remembers `port` for the next run and the CLI's other commands (or forgets it: `undefined`). */
export async function rememberEmbeddedPort(home: string, port: number | undefined): Promise<void> {
  const file = path.join(home, '.outrig', PORT_FILE);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, port === undefined ? '' : `${port}\n`);
}
