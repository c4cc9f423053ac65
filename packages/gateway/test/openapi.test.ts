import { createService } from '@outrig/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.ts';
import { json, startGateway, startUpstream, type TestUpstream, tempRegistry } from './helpers.ts';

let registry: Awaited<ReturnType<typeof tempRegistry>>;
let inventory: TestUpstream;
let notifications: TestUpstream;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  registry = await tempRegistry();
  inventory = await startUpstream('inventory-service', { resource: 'products', tag: 'inv' });
  notifications = await startUpstream('notification-service', { resource: 'notifications', tag: 'n' });
  await registry.register('inventory-service', inventory);
  await registry.register('notification-service', notifications);
  ({ gateway, url } = await startGateway(
    [
      { path: '/api/*/products', service: 'inventory-service' },
      { path: '/api/*/notifications', service: 'notification-service' },
      { path: '/api/*/orders', service: 'order-service' }, // not running
    ],
    registry.registry,
  ));
});

afterAll(async () => {
  await gateway?.stop();
  await inventory?.stop();
  await notifications?.stop();
  await registry?.close();
});

describe('merged OpenAPI', () => {
  it('/openapi.json holds the paths of every service behind the gateway, as they are', async () => {
    const res = await fetch(`${url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await json(res);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('gateway');
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v2/products/{id}',
        '/api/v1/products',
        '/api/v2/notifications/{id}',
        '/api/v1/notifications',
        '/api/versions',
        '/health',
        '/ready',
      ]),
    );
    // The services' own kit routes are not merged over the gateway's.
    expect(paths.filter((p) => p === '/health')).toHaveLength(1);
    expect(doc.paths['/api/v2/products/{id}'].get.responses['200']).toBeDefined();
    expect(doc['x-outrig-services']).toEqual(
      expect.arrayContaining([
        { service: 'inventory-service', status: 'merged' },
        { service: 'notification-service', status: 'merged' },
        expect.objectContaining({ service: 'order-service', status: 'unavailable' }),
      ]),
    );
  });

  it('serves the documents from its cache, not one fetch per request', async () => {
    const before = inventory.hits.count('GET /openapi.json');
    await fetch(`${url}/openapi.json`);
    await fetch(`${url}/openapi.json`);
    expect(inventory.hits.count('GET /openapi.json')).toBe(before);
    expect(before).toBe(1);
  });

  it('/docs renders the merged document', async () => {
    const res = await fetch(`${url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('/openapi.json');
  });
});

describe('merged AsyncAPI', () => {
  const channelDoc = (service: string, action: 'send' | 'receive') => ({
    asyncapi: '3.0.0',
    info: { title: `${service} events`, version: '1' },
    channels: {
      'product.events': {
        address: 'product.events',
        messages: { 'product.created': { $ref: '#/components/messages/product.created' } },
      },
    },
    operations: {
      [`${action}.product.created`]: {
        action,
        channel: { $ref: '#/channels/product.events' },
        messages: [{ $ref: '#/channels/product.events/messages/product.created' }],
      },
    },
    components: {
      messages: {
        'product.created': { name: 'product.created', payload: { type: 'object' } },
      },
    },
  });

  it("/asyncapi.json merges the services' event documents, valid under the official parser", async () => {
    inventory.service.describeEvents(() => channelDoc('inventory-service', 'send'));
    notifications.service.describeEvents(() => channelDoc('notification-service', 'receive'));
    const doc = await json(await fetch(`${url}/asyncapi.json`));
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.keys(doc.channels)).toEqual(['product.events']);
    expect(Object.keys(doc.operations)).toEqual([
      'inventory-service.send.product.created',
      'notification-service.receive.product.created',
    ]);
    expect(doc['x-outrig-unavailable']).toEqual([expect.objectContaining({ service: 'order-service' })]);
    const { Parser } = await import('@asyncapi/parser');
    const { diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(diagnostics.filter((d) => d.severity === 0).map((d) => d.message)).toEqual([]);
  });

  it('a service without declared events serves an AsyncAPI document with no channels', async () => {
    const plain = createService({
      name: 'plain-service',
      env: { SERVICE_HOST: '127.0.0.1', SERVICE_PORT: '0', LOG_LEVEL: 'silent' },
    });
    const plainUrl = await plain.start({ signals: false });
    try {
      const res = await fetch(`${plainUrl}/asyncapi.json`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ asyncapi: '3.0.0', channels: {}, operations: {} });
    } finally {
      await plain.stop();
    }
  });
});
