import { readFileSync } from 'node:fs';
import type { ConfigKey } from '../config/config-key.ts';
import { port } from '../config/config-key.ts';
import { CoreErrors } from '../errors.ts';

type KeyInit = { env: string; doc: string; optional?: boolean };

/** A config key naming a PEM file, read (and checked to hold PEM) at start. */
export function pemFile(init: KeyInit): ConfigKey<string> {
  return {
    ...init,
    expected: 'the path of a readable PEM file',
    parse(raw) {
      let text: string;
      try {
        text = readFileSync(raw.trim(), 'utf8');
      } catch (err) {
        throw new Error(
          `the path of a readable PEM file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`,
        );
      }
      if (!text.includes('-----BEGIN ')) throw new Error('the path of a PEM file (no -----BEGIN line in it)');
      return text;
    },
  };
}

/**
 * TLS and the plain health listener (see docs/guides/deploying.md). With `TLS_CERT_FILE` and
 * `TLS_KEY_FILE` the service port speaks HTTPS; with `TLS_CLIENT_CA_FILE` too, it requires a
 * client certificate signed by that CA and refuses the handshake otherwise (mTLS behind a proxy).
 * `HEALTH_PORT` adds a plain HTTP listener serving only `/health`, `/ready` and `/metrics`, for
 * probes and scrapes that hold no client certificate.
 */
export const tlsConfigSchema = {
  tlsCert: pemFile({
    env: 'TLS_CERT_FILE',
    doc: 'Server certificate (PEM, chain first) for HTTPS on SERVICE_PORT',
    optional: true,
  }),
  tlsKey: pemFile({ env: 'TLS_KEY_FILE', doc: 'Private key of TLS_CERT_FILE (PEM)', optional: true }),
  tlsClientCa: pemFile({
    env: 'TLS_CLIENT_CA_FILE',
    doc: 'CA of the client certificates SERVICE_PORT requires (mTLS); without a valid one the TLS handshake fails',
    optional: true,
  }),
  healthPort: port({
    env: 'HEALTH_PORT',
    doc: 'Plain HTTP port serving only /health, /ready and /metrics (probes, scrapes); unset: none',
    optional: true,
  }),
} as const;

/** Options for `https.createServer`, or undefined when TLS is off. */
export interface KitHttpsOptions {
  cert: string;
  key: string;
  ca?: string;
  requestCert: boolean;
  rejectUnauthorized: boolean;
  minVersion: 'TLSv1.2';
}

/**
 * The HTTPS options from the TLS config keys; `CONFIG_INVALID` when one half of a pair is set
 * without the other (a certificate without its key, a client CA without a certificate).
 */
export function httpsOptions(config: {
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  tlsClientCa?: string | undefined;
}): KitHttpsOptions | undefined {
  const problems: { variable: string; expected: string }[] = [];
  if (config.tlsCert !== undefined && config.tlsKey === undefined) {
    problems.push({ variable: 'TLS_KEY_FILE', expected: 'the key of TLS_CERT_FILE (both or neither)' });
  }
  if (config.tlsKey !== undefined && config.tlsCert === undefined) {
    problems.push({
      variable: 'TLS_CERT_FILE',
      expected: 'the certificate of TLS_KEY_FILE (both or neither)',
    });
  }
  if (config.tlsClientCa !== undefined && config.tlsCert === undefined) {
    problems.push({
      variable: 'TLS_CERT_FILE',
      expected: 'a server certificate (TLS_CLIENT_CA_FILE needs HTTPS)',
    });
  }
  if (problems.length > 0) {
    const summary = problems.map((p) => `${p.variable} is required: expected ${p.expected}`).join('; ');
    throw CoreErrors.CONFIG_INVALID({ params: { summary }, details: { problems } });
  }
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  const mtls = config.tlsClientCa !== undefined;
  return {
    cert: config.tlsCert,
    key: config.tlsKey,
    ...(mtls ? { ca: config.tlsClientCa } : {}),
    requestCert: mtls,
    rejectUnauthorized: mtls,
    minVersion: 'TLSv1.2',
  };
}
