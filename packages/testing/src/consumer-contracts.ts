import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * Consumer-driven contracts: a caller's tests record what it expects of another service — the
 * requests it sends and the fields of the answers it reads, with their JSON types — while its own
 * code runs against a stub that answers with the example; the provider's tests replay every
 * recorded request against the real provider and check each field. What the consumer does not
 * read, the provider may change; what it reads, the provider cannot take away unnoticed.
 */

/** JSON types of recorded fields. */
export type JsonType = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array';

/** One request a consumer sends and what it reads from the answer. */
export interface Interaction {
  /** What the consumer does: `reads a product's price`. */
  readonly description: string;
  /** Provider state the provider's test sets up first; it returns the values of `:params`. */
  readonly state?: string;
  readonly request: {
    readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    /** Path template with `:params`: `/api/v2/products/:id`. */
    readonly path: string;
    readonly query?: Readonly<Record<string, string>>;
    readonly body?: unknown;
  };
  readonly response: {
    readonly status: number;
    /** Example `data` of the envelope: what the stub answers in the consumer's test. */
    readonly data: unknown;
  };
}

/** A recorded contract between one consumer and one provider. */
export interface ConsumerContract {
  readonly consumer: string;
  readonly provider: string;
  readonly interactions: ReadonlyArray<{
    readonly description: string;
    readonly state?: string;
    readonly request: Interaction['request'];
    readonly response: { readonly status: number; readonly fields: Record<string, JsonType> };
  }>;
}

/** A stub of the provider for the consumer's test: answers each interaction with its example. */
export interface ProviderStub {
  /** `http://127.0.0.1:<port>`: give it to the consumer's client (`<PROVIDER>_URL`). */
  readonly url: string;
  /** Requests the stub got that no interaction matches (a consumer bug, or a missing interaction). */
  readonly unmatched: string[];
  /** The interactions the consumer actually sent. */
  readonly used: Set<string>;
  close(): Promise<void>;
}

/**
 * Starts a stub of `provider` that answers the interactions in the kit's envelope
 * (`{ data, metadata }`; a 4xx/5xx example as `{ error: data }`), on 127.0.0.1.
 *
 * @example
 * const stub = await stubProvider([readsProduct]);
 * // … run the consumer's code with INVENTORY_SERVICE_URL = stub.url …
 * await writeConsumerContract(dir, 'order-service', 'inventory-service', [readsProduct]);
 */
export async function stubProvider(interactions: readonly Interaction[]): Promise<ProviderStub> {
  const unmatched: string[] = [];
  const used = new Set<string>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const hit = interactions.find(
      (i) => i.request.method === req.method && matches(i.request.path, url.pathname),
    );
    if (hit === undefined) {
      unmatched.push(`${req.method} ${url.pathname}`);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 'STUB_NO_INTERACTION', message: `${req.method} ${url.pathname}` } }),
      );
      return;
    }
    used.add(hit.description);
    const ok = hit.response.status < 400;
    res.writeHead(hit.response.status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        ok
          ? {
              data: hit.response.data,
              metadata: { version: 'v2', timestamp: new Date().toISOString(), requestId: 'stub' },
            }
          : { error: hit.response.data },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    unmatched,
    used,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The contract file of a consumer and a provider: `<dir>/<consumer>.<provider>.json`. */
export function contractFile(dir: string, consumer: string, provider: string): string {
  return path.join(dir, `${consumer}.${provider}.json`);
}

/**
 * The contract the interactions make: each request, and every field of its example answer (a
 * path such as `price.amount`, `items[].id`) with its JSON type.
 */
export function consumerContract(
  consumer: string,
  provider: string,
  interactions: readonly Interaction[],
): ConsumerContract {
  return {
    consumer,
    provider,
    interactions: interactions.map((i) => ({
      description: i.description,
      ...(i.state === undefined ? {} : { state: i.state }),
      request: i.request,
      response: { status: i.response.status, fields: fieldsOf(i.response.data) },
    })),
  };
}

/**
 * Writes the contract (when it changed) and returns whether it changed. The consumer's test
 * calls it after its code ran against the stub; the file is committed, and the provider's test
 * verifies it.
 */
export async function writeConsumerContract(
  dir: string,
  contract: ConsumerContract,
): Promise<{ file: string; changed: boolean }> {
  const file = contractFile(dir, contract.consumer, contract.provider);
  const text = `${JSON.stringify(contract, null, 2)}\n`;
  const before = await readFile(file, 'utf8').catch(() => undefined);
  if (before !== text) {
    await mkdir(dir, { recursive: true });
    await writeFile(file, text);
  }
  return { file, changed: before !== text };
}

/** A recorded expectation the real provider did not meet. */
export interface ContractViolation {
  readonly consumer: string;
  readonly interaction: string;
  readonly problem: string;
}

/**
 * Replays every interaction recorded for `provider` in `dir` against the real provider at
 * `baseUrl`: sets up its state (`states[state]()` returns the `:params` and may return `headers`
 * to send), sends the request, and checks the status and every recorded field's presence and
 * type. Returns the violations (none: every consumer's expectations hold).
 */
export async function verifyConsumerContracts(options: {
  dir: string;
  provider: string;
  baseUrl: string;
  states?: Record<
    string,
    () => Promise<{
      params?: Record<string, string>;
      query?: Record<string, string>;
      headers?: Record<string, string>;
    }>
  >;
  headers?: Record<string, string>;
}): Promise<{ verified: number; violations: ContractViolation[] }> {
  const files = (await readdir(options.dir).catch(() => [] as string[])).filter((f) =>
    f.endsWith(`.${options.provider}.json`),
  );
  const violations: ContractViolation[] = [];
  let verified = 0;
  for (const name of files) {
    const contract = JSON.parse(await readFile(path.join(options.dir, name), 'utf8')) as ConsumerContract;
    for (const interaction of contract.interactions) {
      const fail = (problem: string) =>
        violations.push({ consumer: contract.consumer, interaction: interaction.description, problem });
      const setup = interaction.state === undefined ? undefined : options.states?.[interaction.state];
      if (interaction.state !== undefined && setup === undefined) {
        fail(`no setup for provider state "${interaction.state}"`);
        continue;
      }
      const state = (await setup?.()) ?? {};
      const pathname = interaction.request.path.replace(/:(\w+)/g, (_, p: string) =>
        encodeURIComponent(state.params?.[p] ?? `:${p}`),
      );
      const query = new URLSearchParams({ ...interaction.request.query, ...state.query }).toString();
      const res = await fetch(`${options.baseUrl}${pathname}${query ? `?${query}` : ''}`, {
        method: interaction.request.method,
        headers: {
          accept: 'application/json',
          ...(interaction.request.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
          ...state.headers,
        },
        ...(interaction.request.body === undefined ? {} : { body: JSON.stringify(interaction.request.body) }),
      });
      const body = (await res.json().catch(() => undefined)) as
        | { data?: unknown; error?: unknown }
        | undefined;
      verified++;
      if (res.status !== interaction.response.status) {
        fail(
          `status ${res.status}, expected ${interaction.response.status}: ${JSON.stringify(body).slice(0, 300)}`,
        );
        continue;
      }
      const actual = fieldsOf(res.status < 400 ? body?.data : body?.error);
      for (const [field, type] of Object.entries(interaction.response.fields)) {
        const list = field.includes('[]') ? field.slice(0, field.indexOf('[]')) : undefined;
        if (list !== undefined && actual[list] === 'array' && !(`${list}[]` in actual)) {
          continue; // an empty list in this state: its items cannot be checked
        }
        if (!(field in actual)) fail(`field ${field || '(data)'} is missing`);
        else if (actual[field] !== type)
          fail(`field ${field || '(data)'} is ${actual[field]}, expected ${type}`);
      }
    }
  }
  return { verified, violations };
}

/** Every field path of a JSON value with its type (`''` is the value itself). */
function fieldsOf(value: unknown, prefix = '', out: Record<string, JsonType> = {}): Record<string, JsonType> {
  const type: JsonType =
    value === null ? 'null' : Array.isArray(value) ? 'array' : (typeof value as JsonType);
  out[prefix] = type;
  if (type === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      fieldsOf(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (type === 'array' && (value as unknown[]).length > 0) {
    fieldsOf((value as unknown[])[0], `${prefix}[]`, out);
  }
  return out;
}

/** Whether a concrete path matches a template with `:params`. */
function matches(template: string, pathname: string): boolean {
  const a = template.split('/');
  const b = pathname.split('/');
  return a.length === b.length && a.every((part, i) => part.startsWith(':') || part === b[i]);
}
