import { createService, errorResponse, type Service, Type } from '@outrig/core';

/**
 * A small service for the fuzzer's own tests: `good` routes keep every promise, `broken` ones
 * each break one (a 500 on big numbers, an undocumented status, a body off its schema).
 */
export function fuzzFixture(options: { broken: boolean }): Service {
  const service = createService({
    name: 'fuzz-fixture',
    env: { SERVICE_PORT: '0', LOG_LEVEL: 'silent', RATE_LIMIT_ENABLED: 'false' },
  });
  const Item = Type.Object({ id: Type.String({ format: 'uuid' }), qty: Type.Integer({ minimum: 0 }) });
  const items = new Map<string, { id: string; qty: number }>();
  service.version(1, (api) => {
    api.post(
      '/items',
      {
        schema: {
          body: Type.Object(
            {
              qty: Type.Integer({ minimum: 0, ...(options.broken ? {} : { maximum: 1000 }) }),
              note: Type.Optional(Type.String({ maxLength: 50 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Item },
        },
      },
      async (request, reply) => {
        // Stands in for an integer column: without the schema's maximum, big numbers reach it.
        if (request.body.qty > 2 ** 31 - 1) throw new RangeError('integer out of range');
        const item = { id: crypto.randomUUID(), qty: request.body.qty };
        items.set(item.id, item);
        reply.code(201);
        return item;
      },
    );
    api.get(
      '/items/:id',
      {
        schema: {
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
          response: options.broken
            ? { 200: Item, 404: errorResponse('not found') }
            : { 200: Item, 409: errorResponse('x') },
        },
      },
      async (request, reply) => {
        const item = items.get(request.params.id);
        if (!item) {
          // The broken twin answers a status it does not document.
          return (reply as unknown as { code(n: number): typeof reply })
            .code(options.broken ? 410 : 404)
            .send({ error: { code: 'GONE', message: 'no such item' } } as never);
        }
        return item;
      },
    );
    api.get(
      '/items',
      {
        schema: {
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
          response: { 200: Type.Array(Item) },
        },
      },
      async (request) => {
        const list = [...items.values()].slice(0, request.query.limit ?? 100);
        return options.broken ? list.map((i) => ({ ...i, qty: -1 })) : list;
      },
    );
  });
  return service;
}
