import { Parser } from '@asyncapi/parser';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { asyncApiDocument, defineEvent } from '../src/index.ts';

const ProductCreated = defineEvent({
  type: 'product.created',
  aggregateType: 'product',
  schema: Type.Object({ id: Type.String({ format: 'uuid' }), stock: Type.Integer({ minimum: 0 }) }),
  description: 'A product was added',
});
const PaymentDeclined = defineEvent({
  type: 'payment.declined',
  aggregateType: 'payment',
  topic: 'payments',
  schema: Type.Object({ orderId: Type.String(), reason: Type.String() }),
});

/** Errors (severity 0) the official parser reports. */
async function parserErrors(document: unknown): Promise<string[]> {
  const { diagnostics } = await new Parser().parse(JSON.stringify(document));
  return diagnostics
    .filter((d) => d.severity === 0)
    .map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
}

describe('asyncApiDocument', () => {
  const doc = asyncApiDocument('inventory-service', {
    publishes: [ProductCreated],
    consumes: [PaymentDeclined, { topic: 'audit.events' }],
  }) as {
    channels: Record<string, { address: string; messages: Record<string, unknown> }>;
    operations: Record<string, { action: string; channel: { $ref: string } }>;
    components: { messages: Record<string, { payload: { properties: Record<string, unknown> } }> };
  };

  it('is valid AsyncAPI 3.0 under the official parser', async () => {
    expect(doc).toMatchObject({ asyncapi: '3.0.0', defaultContentType: 'application/cloudevents+json' });
    expect(await parserErrors(doc)).toEqual([]);
  });

  it('has a channel per topic, a message per event type and an operation per direction', () => {
    expect(Object.values(doc.channels).map((c) => c.address)).toEqual([
      'audit.events',
      'payments',
      'product.events',
    ]);
    expect(Object.keys(doc.channels['product.events']!.messages)).toEqual(['product.created']);
    expect(
      Object.fromEntries(Object.entries(doc.operations).map(([k, o]) => [k, [o.action, o.channel.$ref]])),
    ).toEqual({
      'receive.audit.events': ['receive', '#/channels/audit.events'],
      'receive.payment.declined': ['receive', '#/channels/payments'],
      'send.product.created': ['send', '#/channels/product.events'],
    });
  });

  it("carries the event's schema as the CloudEvent's data", () => {
    const payload = doc.components.messages['product.created']!.payload;
    expect(payload.properties.type).toEqual({ type: 'string', const: 'product.created' });
    expect(payload.properties.data).toEqual({
      type: 'object',
      required: ['id', 'stock'],
      properties: { id: { type: 'string', format: 'uuid' }, stock: { type: 'integer', minimum: 0 } },
    });
  });

  it('a broken document is caught by the same check (the check can fail)', async () => {
    const broken = structuredClone(doc) as { operations: Record<string, { action: string }> };
    broken.operations['send.product.created']!.action = 'publish'; // AsyncAPI 2's verb
    expect((await parserErrors(broken)).length).toBeGreaterThan(0);
  });
});
