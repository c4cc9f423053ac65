import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consumerContract,
  type Interaction,
  stubProvider,
  verifyConsumerContracts,
  writeConsumerContract,
} from './consumer-contracts.ts';

const reads: Interaction = {
  description: 'reads a thing',
  state: 'a thing',
  request: { method: 'GET', path: '/api/v1/things/:id' },
  response: { status: 200, data: { id: 'x', size: 3, tags: ['a'], owner: { name: 'n' } } },
};

/** A provider answering `data` for GET /api/v1/things/:id. */
async function provider(data: unknown): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url?.startsWith('/api/v1/things/') ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data, metadata: {} }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('consumer contracts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outrig-cdc-'));
    await writeConsumerContract(dir, consumerContract('caller', 'things', [reads]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('records every field the example answer has, with its JSON type', async () => {
    const recorded = JSON.parse(await readFile(join(dir, 'caller.things.json'), 'utf8'));
    expect(recorded.interactions[0].response.fields).toEqual({
      '': 'object',
      id: 'string',
      size: 'number',
      tags: 'array',
      'tags[]': 'string',
      owner: 'object',
      'owner.name': 'string',
    });
  });

  it('the stub answers the example in the envelope and reports requests nothing matches', async () => {
    const stub = await stubProvider([reads]);
    try {
      const ok = await (await fetch(`${stub.url}/api/v1/things/7`)).json();
      expect(ok).toMatchObject({ data: reads.response.data });
      expect((await fetch(`${stub.url}/api/v1/other`)).status).toBe(404);
      expect(stub.unmatched).toEqual(['GET /api/v1/other']);
      expect([...stub.used]).toEqual(['reads a thing']);
    } finally {
      await stub.close();
    }
  });

  it('a provider with every field (and more) meets the contract; an empty list is not a violation', async () => {
    const p = await provider({ id: 'y', size: 1, tags: [], owner: { name: 'm', extra: true }, more: 1 });
    try {
      const result = await verifyConsumerContracts({
        dir,
        provider: 'things',
        baseUrl: p.url,
        states: { 'a thing': async () => ({ params: { id: 'y' } }) },
      });
      expect(result).toEqual({ verified: 1, violations: [] });
    } finally {
      await p.close();
    }
  });

  it('a provider missing a field, or with another type, violates it', async () => {
    const p = await provider({ id: 'y', size: '1', tags: ['a'], owner: {} });
    try {
      const { violations } = await verifyConsumerContracts({
        dir,
        provider: 'things',
        baseUrl: p.url,
        states: { 'a thing': async () => ({ params: { id: 'y' } }) },
      });
      expect(violations.map((v) => v.problem)).toEqual([
        'field size is string, expected number',
        'field owner.name is missing',
      ]);
    } finally {
      await p.close();
    }
  });

  it('a provider state without a setup is a violation, not a skip', async () => {
    const p = await provider({});
    try {
      const { violations } = await verifyConsumerContracts({ dir, provider: 'things', baseUrl: p.url });
      expect(violations.map((v) => v.problem)).toEqual(['no setup for provider state "a thing"']);
    } finally {
      await p.close();
    }
  });
});
