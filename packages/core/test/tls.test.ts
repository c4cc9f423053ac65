import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, isOutrigError } from '../src/index.ts';

// HTTPS with required client certificates (TLS_*), and the plain health listener (HEALTH_PORT).
// Certificates are made with openssl (scripts/test-servers.sh installs it).

const dir = mkdtempSync(path.join(tmpdir(), 'outrig-tls-'));
const file = (name: string) => path.join(dir, name);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(name: string): void {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
}

function makeLeaf(name: string, ca: string): void {
  writeFileSync(
    file(`${name}.ext`),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  openssl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  ]);
}

beforeAll(() => {
  makeCa('ca');
  makeCa('rogue-ca');
  makeLeaf('server', 'ca');
  makeLeaf('client', 'ca');
  makeLeaf('rogue', 'rogue-ca');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, client?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/health',
        ca: readFileSync(file('ca.pem')),
        ...(client
          ? { cert: readFileSync(file(`${client}.crt`)), key: readFileSync(file(`${client}.key`)) }
          : {}),
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('TLS and the health listener', () => {
  it('requires a client certificate of the configured CA on SERVICE_PORT; HEALTH_PORT answers in plain HTTP', async () => {
    const healthPort = await freePort();
    const service = createService({
      name: 'tls-test',
      env: {
        SERVICE_PORT: '0',
        LOG_LEVEL: 'silent',
        TLS_CERT_FILE: file('server.crt'),
        TLS_KEY_FILE: file('server.key'),
        TLS_CLIENT_CA_FILE: file('ca.pem'),
        HEALTH_PORT: String(healthPort),
      },
    });
    const url = new URL(await service.start({ signals: false }));
    try {
      expect(url.protocol).toBe('https:');
      const port = Number(url.port);
      expect(await get(port, 'client')).toBe(200);
      await expect(get(port)).rejects.toThrow(/certificate required|socket hang up|ECONNRESET/);
      await expect(get(port, 'rogue')).rejects.toThrow(/unknown ca|ECONNRESET|socket hang up/i);
      const health = await fetch(`http://127.0.0.1:${healthPort}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { data: { status: string } }).data.status).toBe('ok');
      expect((await fetch(`http://127.0.0.1:${healthPort}/ready`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text()).toMatch(/# HELP/);
      expect((await fetch(`http://127.0.0.1:${healthPort}/api/versions`)).status).toBe(404);
    } finally {
      expect(await service.stop()).toBe(true);
    }
  });

  it('refuses half a configuration at start with CONFIG_INVALID naming the variable', () => {
    const start = (env: Record<string, string>) => () =>
      createService({ name: 'tls-test', env: { LOG_LEVEL: 'silent', ...env } });
    for (const [env, variable] of [
      [{ TLS_CERT_FILE: file('server.crt') }, 'TLS_KEY_FILE'],
      [{ TLS_CLIENT_CA_FILE: file('ca.pem') }, 'TLS_CERT_FILE'],
      [{ TLS_CERT_FILE: file('missing.crt'), TLS_KEY_FILE: file('server.key') }, 'TLS_CERT_FILE'],
    ] as const) {
      let error: unknown;
      try {
        start(env)();
      } catch (err) {
        error = err;
      }
      expect(isOutrigError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toContain(variable);
    }
  });
});
