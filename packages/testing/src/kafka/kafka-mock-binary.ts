/**
 * The kafka-mock binary (librdkafka's mock cluster as its own process; sources in
 * `packages/testing/kafka-mock/`): built once per source version into `.outrig/cache/kafka-mock/`
 * (gitignored; `npm ci` does not wipe it) and reused. `scripts/test-servers.sh` builds it up front
 * for CI; tests build it on first use if it is missing (about a minute on two cores).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { binaryPath } from '../binaries.ts';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '..', '..', '..', '..');
/** Vendored sources: the mock's C program, the librdkafka patch and the build script. */
export const KAFKA_MOCK_SOURCES = path.join(REPO, 'packages', 'testing', 'kafka-mock');
const SOURCE_FILES = ['kafka-mock.c', 'librdkafka-mock.patch', 'build-kafka-mock.sh'];
const BUILD_TIMEOUT_MS = 15 * 60_000;

/** Where the binary of the current sources lives: `.outrig/cache/kafka-mock/<hash>/kafka-mock`. */
export function kafkaMockPath(): string {
  if (process.env.OUTRIG_KAFKA_MOCK) return process.env.OUTRIG_KAFKA_MOCK;
  const hash = createHash('sha256');
  for (const file of SOURCE_FILES) hash.update(readFileSync(path.join(KAFKA_MOCK_SOURCES, file)));
  return path.join(REPO, '.outrig', 'cache', 'kafka-mock', hash.digest('hex').slice(0, 12), 'kafka-mock');
}

/**
 * The path of a built kafka-mock, building it first if needed (gcc, make, patch and npm;
 * concurrent callers wait for one build). Rejects with the build's output if it fails.
 */
export async function ensureKafkaMockBinary(): Promise<string> {
  const bin = kafkaMockPath();
  if (isExecutable(bin)) return bin;
  const dir = path.dirname(bin);
  await mkdir(path.dirname(dir), { recursive: true });
  const lock = `${dir}.lock`;
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      // Another process builds it: wait, unless its lock is stale (older than a build can take).
      if (isExecutable(bin)) return bin;
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > BUILD_TIMEOUT_MS) await rm(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for another kafka-mock build (${lock})`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    if (isExecutable(bin)) return bin;
    await run('sh', [path.join(KAFKA_MOCK_SOURCES, 'build-kafka-mock.sh'), dir], {
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((err: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`building kafka-mock failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
    return bin;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Whether kafka-mock is built or can be built here (gcc and make installed). Under `CI=true`
 * it throws when it cannot: CI must fail, not skip (`scripts/test-servers.sh` installs gcc).
 *
 * @example
 * const ok = kafkaMockAvailable();
 * describe.skipIf(!ok)('kafka', () => { … });
 */
export function kafkaMockAvailable(): boolean {
  if (isExecutable(kafkaMockPath())) return true;
  const buildable = ['gcc', 'make', 'patch', 'npm'].every((tool) => binaryPath(tool) !== undefined);
  if (buildable) return true;
  if (process.env.CI === 'true') {
    throw new Error('kafka-mock is required under CI=true but cannot be built: install gcc, make, patch');
  }
  console.warn('[outrig/testing] kafka-mock is not built and gcc/make/patch are missing: skipping its tests');
  return false;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
