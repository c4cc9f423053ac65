import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../lib/server-process.ts';

/** An nginx reverse proxy the bench started: one worker, upstream keep-alive. */
export interface NginxProxy {
  readonly url: string;
  /** The worker's pid (for CPU per request). */
  readonly workerPid: number;
  stop(): Promise<void>;
}

/** Whether the Debian `nginx` binary is installed. */
export function nginxInstalled(): boolean {
  return spawnSync('nginx', ['-v']).status === 0;
}

/**
 * Starts nginx as the bench's third proxy, in a temporary prefix with its own config: one
 * worker process, `proxy_pass` to `upstreamUrl` over HTTP/1.1 with a keep-alive pool, no
 * access log. Stopped (and its folder removed) by `stop()`.
 */
export async function startNginx(upstreamUrl: string): Promise<NginxProxy> {
  const prefix = mkdtempSync(join(tmpdir(), 'outrig-bench-nginx-'));
  chmodSync(prefix, 0o777); // workers drop to an unprivileged user when nginx runs as root
  const port = await freePort();
  const upstream = new URL(upstreamUrl);
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream bench_upstream {
    server ${upstream.host};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const child: ChildProcess = spawn(
    'nginx',
    ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const url = `http://127.0.0.1:${port}`;
  let workerPid = 0;
  for (let i = 0; i < 200 && workerPid === 0; i++) {
    await sleep(25);
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
    const children = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout.trim();
    const ok = await fetch(`${url}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok && children) workerPid = Number(children.split('\n')[0]);
  }
  if (workerPid === 0) {
    child.kill('SIGKILL');
    throw new Error(`nginx did not start: ${stderr}`);
  }
  return {
    url,
    workerPid,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
