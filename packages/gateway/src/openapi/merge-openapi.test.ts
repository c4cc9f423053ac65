import { describe, expect, it } from 'vitest';
import { mergeOpenApi, type OpenApiDocument } from './merge-openapi.ts';

const error = { type: 'object', properties: { error: { type: 'object' } } };
const bearer = { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' };

const inventory: OpenApiDocument = {
  openapi: '3.1.0',
  paths: {
    '/health': { get: {} },
    '/api/v2/products/{id}': {
      get: {
        responses: {
          200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } },
        },
        security: [{ bearerAuth: [] }],
      },
    },
  },
  components: {
    schemas: { Item: { type: 'object', properties: { sku: { type: 'string' } } }, Error: error },
    securitySchemes: { bearerAuth: bearer },
  },
  tags: [{ name: 'v2' }],
};

const orders: OpenApiDocument = {
  openapi: '3.1.0',
  paths: {
    '/health': { get: {} },
    '/api/v1/orders': {
      post: {
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } },
        responses: {
          400: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      },
    },
  },
  components: {
    schemas: {
      Item: { type: 'object', properties: { orderId: { type: 'string' } } },
      Error: error,
      Order: {
        type: 'object',
        properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Item' } } },
      },
    },
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
  },
  security: [{ bearerAuth: [] }],
  tags: [{ name: 'v1' }, { name: 'v2' }],
};

const merged = mergeOpenApi(
  [
    { service: 'inventory-service', document: inventory, owns: (p) => p.includes('/products') },
    { service: 'order-service', document: orders, owns: (p) => p.includes('/orders') },
  ],
  { title: 'gateway', version: '1', unavailable: [{ service: 'user-service', reason: 'no instance' }] },
);

/** Reads a nested value of a JSON document. */
function dig(value: unknown, ...keys: (string | number)[]): unknown {
  return keys.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);
}
const json = ['content', 'application/json', 'schema', '$ref'] as const;

describe('mergeOpenApi', () => {
  it('keeps the paths each service owns, unchanged, and nothing else', () => {
    expect(Object.keys(merged.paths ?? {})).toEqual(['/api/v2/products/{id}', '/api/v1/orders']);
  });

  it('shares identical components and namespaces conflicting ones, refs rewritten', () => {
    const schemas = merged.components?.schemas ?? {};
    expect(Object.keys(schemas).sort()).toEqual(
      ['Error', 'Order', 'inventory-service.Item', 'order-service.Item'].sort(),
    );
    const productGet = dig(merged.paths, '/api/v2/products/{id}', 'get');
    expect(dig(productGet, 'responses', 200, ...json)).toBe('#/components/schemas/inventory-service.Item');
    const orderPost = dig(merged.paths, '/api/v1/orders', 'post');
    expect(dig(orderPost, 'requestBody', ...json)).toBe('#/components/schemas/order-service.Item');
    expect(dig(orderPost, 'responses', 400, ...json)).toBe('#/components/schemas/Error');
    expect(dig(schemas.Order, 'properties', 'items', 'items', '$ref')).toBe(
      '#/components/schemas/order-service.Item',
    );
  });

  it('renames conflicting security schemes in requirements, and keeps a global requirement per operation', () => {
    const schemes = merged.components?.securitySchemes ?? {};
    expect(Object.keys(schemes).sort()).toEqual(['inventory-service.bearerAuth', 'order-service.bearerAuth']);
    expect(dig(merged.paths, '/api/v2/products/{id}', 'get', 'security')).toEqual([
      { 'inventory-service.bearerAuth': [] },
    ]);
    expect(dig(merged.paths, '/api/v1/orders', 'post', 'security')).toEqual([
      { 'order-service.bearerAuth': [] },
    ]);
  });

  it('merges tags by name and lists the services', () => {
    expect(merged.tags).toEqual([{ name: 'v2' }, { name: 'v1' }]);
    expect(merged['x-outrig-services']).toEqual([
      { service: 'inventory-service', status: 'merged' },
      { service: 'order-service', status: 'merged' },
      { service: 'user-service', status: 'unavailable', reason: 'no instance' },
    ]);
  });

  it('leaves the inputs untouched', () => {
    expect(dig(inventory.paths, '/api/v2/products/{id}', 'get', 'responses', 200, ...json)).toBe(
      '#/components/schemas/Item',
    );
  });
});
