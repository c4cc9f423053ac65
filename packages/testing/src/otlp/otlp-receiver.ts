import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeOtlpTraceProtobuf } from './otlp-trace-proto.ts';
import { type ReceivedSpan, spansFromOtlp } from './received-span.ts';

/** A running OTLP/HTTP trace receiver. */
export interface OtlpReceiver {
  /** Base URL: the value for `OTEL_EXPORTER_OTLP_ENDPOINT` (traces go to `url + '/v1/traces'`). */
  readonly url: string;
  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[];
  /**
   * Resolves with the first truthy value `predicate` returns, checked now and after every
   * export request; rejects after `timeoutMs` (default 15 s) listing the spans received.
   */
  waitFor<T>(
    predicate: (spans: ReceivedSpan[]) => T | undefined | null | false,
    timeoutMs?: number,
  ): Promise<T>;
  /** Forgets the spans received so far. */
  clear(): void;
  close(): Promise<void>;
}

export interface OtlpReceiverOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
}

/**
 * Starts an OTLP/HTTP receiver (`POST /v1/traces`) that accepts what OpenTelemetry exporters
 * send — binary protobuf (`application/x-protobuf`) and OTLP/JSON (`application/json`), gzip
 * or not — and keeps the spans in memory for assertions. Point a process at it with
 * `OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url`.
 *
 * @example
 * const receiver = await startOtlpReceiver();
 * spawn(process.execPath, ['--import', '@outrig/core/telemetry', 'src/main.ts'], {
 *   env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
 * });
 * const server = await receiver.waitFor((spans) => spans.find((s) => s.kind === 'server'));
 * await receiver.close();
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  let received: ReceivedSpan[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    void handle(req, res).then((spans) => {
      if (spans.length === 0) return;
      received.push(...spans);
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    spans: () => [...received],
    clear() {
      received = [];
    },
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const value = predicate([...received]);
          if (!value) return false;
          done();
          resolve(value);
          return true;
        };
        const timer = setTimeout(() => {
          done();
          const names = received.map((s) => `${s.serviceName ?? '?'}:${s.name}`).join(', ');
          reject(new Error(`no match within ${timeoutMs} ms; ${received.length} spans received: ${names}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        const wake = () => {
          try {
            check();
          } catch (err) {
            done();
            reject(err);
          }
        };
        waiters.add(wake);
        wake();
      });
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/** Answers one request; resolves with the spans it carried. */
async function handle(req: IncomingMessage, res: ServerResponse): Promise<ReceivedSpan[]> {
  const path = (req.url ?? '').split('?')[0];
  if (req.method !== 'POST' || path !== '/v1/traces') {
    res.writeHead(404).end();
    return [];
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const isJson = type === 'application/json';
  if (!isJson && type !== 'application/x-protobuf') {
    res.writeHead(415, { 'content-type': 'text/plain' }).end(`unsupported content-type ${type}`);
    return [];
  }
  try {
    let body: Buffer = Buffer.concat(await req.toArray());
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const spans = isJson
      ? spansFromOtlp(JSON.parse(body.toString('utf8')), 'json')
      : spansFromOtlp(decodeOtlpTraceProtobuf(body), 'protobuf');
    // An empty ExportTraceServiceResponse: full success.
    if (isJson) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    return spans;
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`cannot decode: ${(err as Error).message}`);
    return [];
  }
}
