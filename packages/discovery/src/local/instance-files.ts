import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { parseInstance } from '../internal/instance.ts';
import type { ServiceInstance } from '../registry.ts';

/** What `<dir>/<name>/<id>.json` holds. */
export interface InstanceRecord {
  instance: ServiceInstance;
  /** Epoch ms of the last heartbeat. */
  heartbeatAt: number;
  ttlMs: number;
  /** The registering process, so that a reader on the same host can tell it died. */
  pid: number;
  host: string;
}

const HOST = hostname();

export function serviceDir(root: string, name: string): string {
  return path.join(root, name);
}

/** Writes the record under a temporary name, then renames it: readers never see half a file. */
export async function writeRecord(root: string, instance: ServiceInstance, ttlMs: number): Promise<void> {
  const dir = serviceDir(root, instance.name);
  await mkdir(dir, { recursive: true });
  const record: InstanceRecord = { instance, heartbeatAt: Date.now(), ttlMs, pid: process.pid, host: HOST };
  const tmp = path.join(dir, `.${instance.id}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(tmp, JSON.stringify(record));
  try {
    await rename(tmp, path.join(dir, `${instance.id}.json`));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function removeRecord(root: string, instance: ServiceInstance): Promise<void> {
  await rm(path.join(serviceDir(root, instance.name), `${instance.id}.json`), { force: true });
}

/**
 * The live instances of `name`. Records whose heartbeat is older than their TTL, or whose process
 * is gone (same host only), are deleted on the way: their owner rewrites them if it still lives.
 */
export async function readLiveInstances(root: string, name: string): Promise<ServiceInstance[]> {
  const dir = serviceDir(root, name);
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const now = Date.now();
  const live: ServiceInstance[] = [];
  await Promise.all(
    files
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .map(async (file) => {
        const record = await readRecord(path.join(dir, file));
        if (!record) return;
        if (now - record.heartbeatAt > record.ttlMs || !processAlive(record)) {
          await rm(path.join(dir, file), { force: true });
          return;
        }
        live.push(record.instance);
      }),
  );
  return live;
}

async function readRecord(file: string): Promise<InstanceRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined; // removed between readdir and read
  }
  try {
    const raw = JSON.parse(text) as Partial<InstanceRecord>;
    const instance = parseInstance(raw.instance);
    if (!instance || typeof raw.heartbeatAt !== 'number' || typeof raw.ttlMs !== 'number') return undefined;
    return {
      instance,
      heartbeatAt: raw.heartbeatAt,
      ttlMs: raw.ttlMs,
      pid: typeof raw.pid === 'number' ? raw.pid : 0,
      host: typeof raw.host === 'string' ? raw.host : '',
    };
  } catch {
    return undefined;
  }
}

/** A process on this host that no longer exists cannot heartbeat: no need to wait for its TTL. */
function processAlive(record: InstanceRecord): boolean {
  if (record.host !== HOST || record.pid <= 0 || record.pid === process.pid) return true;
  try {
    process.kill(record.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
