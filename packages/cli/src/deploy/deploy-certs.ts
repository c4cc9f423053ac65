import { execFile } from 'node:child_process';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { CliErrors } from '../errors.ts';

const run = promisify(execFile);

/** What `outrig deploy certs` makes. */
export interface DevCertsOptions {
  /** Folder of the files (created). */
  dir: string;
  /** Common name of the CA (`<system> development CA`). */
  caName: string;
  /** Leaf certificates: one per service, plus the proxies' (`edge`, `haproxy-client`, `envoy-client`). */
  names: readonly string[];
  /** Validity of new certificates in days; -1 makes an already expired one (tests). Default 30. */
  days?: number;
  /** Make them again even if they exist. Default false (existing files are kept). */
  force?: boolean;
  /** The openssl program. Default `openssl`. */
  openssl?: string;
}

/** One file written, or kept because it existed. */
export interface CertFile {
  readonly file: string;
  readonly status: 'written' | 'kept';
}

/**
 * A development CA and, per name, a certificate it signs for both server and client use (SAN
 * `DNS:<name>`, `DNS:localhost`, `IP:127.0.0.1`): `<name>.crt`, `<name>.key`, and `<name>.pem`
 * (both, for HAProxy's `crt`). P-256 keys, made with openssl. **Development only**: the CA key
 * sits beside the certificates; production certificates come from your PKI (cert-manager, Vault).
 *
 * @example
 * await makeDevCerts({ dir: 'deploy/certs', caName: 'shop development CA', names: ['edge', 'inventory-service'] });
 */
export async function makeDevCerts(options: DevCertsOptions): Promise<CertFile[]> {
  const { dir } = options;
  const days = String(options.days ?? 30);
  const openssl = options.openssl ?? 'openssl';
  await mkdir(dir, { recursive: true });
  const out: CertFile[] = [];
  const exists = (file: string) =>
    access(path.join(dir, file)).then(
      () => true,
      () => false,
    );
  const step = async (what: string, args: string[]) => {
    try {
      await run(openssl, args, { cwd: dir });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') {
        throw CliErrors.CLI_TOOL_MISSING({
          params: { tool: openssl, install: 'apt-get install -y openssl' },
        });
      }
      throw CliErrors.CLI_CERTS_FAILED({
        params: { step: what, reason: (e.stderr ?? e.message).trim().split('\n').at(-1) ?? '' },
        cause: err,
      });
    }
  };
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  if (options.force || !(await exists('ca.pem')) || !(await exists('ca.key'))) {
    await step('the CA', [
      'req',
      '-x509',
      ...newKey,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      days,
      '-subj',
      `/CN=${options.caName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    out.push({ file: 'ca.pem', status: 'written' }, { file: 'ca.key', status: 'written' });
  } else {
    out.push({ file: 'ca.pem', status: 'kept' }, { file: 'ca.key', status: 'kept' });
  }
  for (const name of options.names) {
    if (!options.force && (await exists(`${name}.pem`))) {
      out.push({ file: `${name}.pem`, status: 'kept' });
      continue;
    }
    const ext = `${name}.ext`;
    await writeFile(
      path.join(dir, ext),
      `subjectAltName=DNS:${name},DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n`,
    );
    await step(`the key of ${name}`, [
      'req',
      ...newKey,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    ]);
    await step(`the certificate of ${name}`, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      days,
      '-out',
      `${name}.crt`,
      '-extfile',
      ext,
    ]);
    const [crt, key] = await Promise.all([
      readFile(path.join(dir, `${name}.crt`), 'utf8'),
      readFile(path.join(dir, `${name}.key`), 'utf8'),
    ]);
    await writeFile(path.join(dir, `${name}.pem`), crt + key, { mode: 0o600 });
    await Promise.all([rm(path.join(dir, `${name}.csr`)), rm(path.join(dir, ext))]);
    out.push(
      { file: `${name}.crt`, status: 'written' },
      { file: `${name}.key`, status: 'written' },
      { file: `${name}.pem`, status: 'written' },
    );
  }
  await writeFile(
    path.join(dir, 'README.md'),
    `# Development certificates — never use them in production\n\nMade by \`outrig deploy certs\`: a CA (its key is here, so anyone with this folder can mint\ncertificates) and one certificate per service and proxy. Keep this folder out of version control.\n`,
  );
  return out;
}

/** The leaf names `outrig deploy certs` makes for a system: the proxies, then every service. */
export function certNames(services: readonly string[]): string[] {
  return ['edge', 'haproxy-client', 'envoy-client', ...services];
}
