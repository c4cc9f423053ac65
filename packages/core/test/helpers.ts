import { logCapture } from '@outrig/testing';
import { type CreateServiceOptions, createService, type Service, Type } from '../src/index.ts';

export { logCapture };

/** A small two-version service exercising every kit contract. */
export function exampleService(
  env: Record<string, string> = {},
  extra: Partial<CreateServiceOptions> = {},
): { service: Service; logs: ReturnType<typeof logCapture> } {
  const logs = logCapture();
  const service = createService({ name: 'test-service', env: { ...env }, logStream: logs.stream, ...extra });
  const Item = Type.Object({ id: Type.String(), name: Type.String() });
  service.version(
    1,
    (api) => {
      api.get(
        '/items/:id',
        { schema: { params: Type.Object({ id: Type.String() }), response: { 200: Item } } },
        async (req) => ({
          id: req.params.id,
          name: 'v1',
        }),
      );
      api.get('/only-in-v1', async () => ({ ok: true }));
      api.post(
        '/items',
        {
          schema: {
            body: Type.Object({ name: Type.String({ minLength: 2 }), qty: Type.Integer({ minimum: 1 }) }),
          },
        },
        async (req, reply) => {
          reply.code(201);
          return { id: 'new', name: req.body.name };
        },
      );
      api.get('/boom', async () => {
        throw new Error('database password=hunter2 leaked in message');
      });
      api.delete('/items/:id', async (_req, reply) => {
        reply.code(204);
      });
    },
    { deprecated: '2026-01-01', sunset: '2027-01-01' },
  );
  service.version(2, (api) => {
    api.get(
      '/items/:id',
      { schema: { params: Type.Object({ id: Type.String() }), response: { 200: Item } } },
      async (req) => ({
        id: req.params.id,
        name: 'v2',
      }),
    );
  });
  return { service, logs };
}
