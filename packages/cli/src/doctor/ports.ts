import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import net from 'node:net';

/** Who holds a port: the pid, command line and folder when the OS tells us (Linux `ss`, /proc). */
export interface PortHolder {
  readonly pid?: number;
  readonly command?: string;
  readonly cwd?: string;
}

/** Undefined when nothing listens on `port` (127.0.0.1 and all interfaces), else who does. */
export async function portHolder(port: number): Promise<PortHolder | undefined> {
  if ((await canConnect('127.0.0.1', port, 500)) !== undefined) return undefined;
  const pid = (await procListenerPid(port)) ?? (await listenerPid(port));
  if (pid === undefined) return {};
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8')
    .then((t) => t.split('\0').filter(Boolean).join(' '))
    .catch(() => undefined);
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  return { pid, ...(command === undefined ? {} : { command }), ...(cwd === undefined ? {} : { cwd }) };
}

/** Undefined when a TCP connection to host:port opens within `timeoutMs`, else the reason. */
export function canConnect(host: string, port: number, timeoutMs = 1500): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (error: string | undefined) => {
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/**
 * The pid listening on `port`, from /proc (Linux): the socket's inode in /proc/net/tcp{,6},
 * then the process holding it among /proc/<pid>/fd. Undefined elsewhere or when not visible.
 */
async function procListenerPid(port: number): Promise<number | undefined> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const row of text.split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; inode is column 10.
      if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A' && cols[9]) inodes.add(`socket:[${cols[9]}]`);
    }
  }
  if (inodes.size === 0) return undefined;
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((d) => /^\d+$/.test(d));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (inodes.has(target)) return Number(pid);
    }
  }
  return undefined;
}

/** The pid listening on `port`, from `ss -ltnpH` (iproute2); undefined where unknown. */
function listenerPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('ss', ['-ltnpH', `sport = :${port}`], { timeout: 3000 }, (err, stdout) => {
      if (err) return resolve(undefined);
      const m = /pid=(\d+)/.exec(stdout);
      resolve(m ? Number(m[1]) : undefined);
    });
  });
}
