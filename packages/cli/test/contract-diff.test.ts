// The breaking-change rules on documents the kit really generates: a small service in several
// variants (each a deliberate change), its /openapi.json compared with the original's.
import { createService, type ServiceApp, Type } from '@outrig/core';
import { asyncApiDocument, defineEvent } from '@outrig/messaging';
import { describe, expect, it } from 'vitest';
import { asyncApiBreakingChanges, openApiBreakingChanges } from '../src/contract/contract-diff.ts';

const Product = Type.Object({
  id: Type.String(),
  name: Type.String(),
  price: Type.Integer({ minimum: 0 }),
  status: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
});
const NewProduct = Type.Object({
  name: Type.String({ maxLength: 200 }),
  price: Type.Integer({ minimum: 0 }),
});

interface Variant {
  product?: typeof Product | ReturnType<typeof Type.Object>;
  body?: ReturnType<typeof Type.Object>;
  dropList?: boolean;
  v1Deprecated?: boolean;
}

async function documentOf(variant: Variant = {}): Promise<Record<string, unknown>> {
  const service = createService({ name: 'catalogue', env: { SERVICE_PORT: '0', LOG_LEVEL: 'silent' } });
  const routes = (api: ServiceApp) => {
    api.get(
      '/products/:id',
      {
        schema: { params: Type.Object({ id: Type.String() }), response: { 200: variant.product ?? Product } },
      },
      async () => ({}),
    );
    if (!variant.dropList)
      api.get(
        '/products',
        { schema: { response: { 200: Type.Array(variant.product ?? Product) } } },
        async () => [],
      );
    api.post(
      '/products',
      { schema: { body: variant.body ?? NewProduct, response: { 201: variant.product ?? Product } } },
      async () => ({}),
    );
  };
  service.version(1, routes, variant.v1Deprecated ? { deprecated: '2026-01-01' } : {});
  const url = await service.start({ signals: false });
  try {
    return (await (await fetch(`${url}/openapi.json`)).json()) as Record<string, unknown>;
  } finally {
    await service.stop();
  }
}

const base = await documentOf();
const changes = async (variant: Variant) =>
  openApiBreakingChanges(base, await documentOf(variant)).map((c) => `${c.where}: ${c.change}`);

describe('openApiBreakingChanges', () => {
  it('finds nothing between a document and itself, nor for additions', async () => {
    expect(openApiBreakingChanges(base, base)).toEqual([]);
    const added = Type.Object({ ...Product.properties, colour: Type.Optional(Type.String()) });
    expect(await changes({ product: added })).toEqual([]);
    const optionalBodyField = Type.Object({ ...NewProduct.properties, note: Type.Optional(Type.String()) });
    expect(await changes({ body: optionalBodyField })).toEqual([]);
  });

  it('a removed route', async () => {
    expect(await changes({ dropList: true })).toEqual(['GET /api/v1/products: route removed']);
  });

  it('a removed response field, in every response that carries it', async () => {
    const { price: _price, ...rest } = Product.properties;
    expect(await changes({ product: Type.Object(rest) })).toEqual([
      'GET /api/v1/products/{id}: response 200: removed field data.price',
      'GET /api/v1/products: response 200: removed field data[].price',
      'POST /api/v1/products: response 201: removed field data.price',
    ]);
  });

  it('a response type widened, a new enum value, a field no longer always present', async () => {
    const changed = Type.Object({
      id: Type.String(),
      name: Type.Optional(Type.String()),
      price: Type.Union([Type.Integer(), Type.Null()]),
      status: Type.Union([Type.Literal('active'), Type.Literal('retired'), Type.Literal('draft')]),
    });
    const found = await changes({ product: changed });
    expect(found).toContain(
      'GET /api/v1/products/{id}: response 200: field data.name no longer always present',
    );
    expect(found).toContain(
      'GET /api/v1/products/{id}: response 200, field data.price: type widened from integer to integer|null',
    );
    expect(found.some((c) => c.includes('field data.status') && c.includes('draft'))).toBe(true);
  });

  it('a new required request field, a narrowed type, a tighter bound', async () => {
    const body = Type.Object({
      name: Type.String({ maxLength: 100 }),
      price: Type.Integer({ minimum: 1 }),
      sku: Type.String(),
    });
    expect(await changes({ body })).toEqual([
      'POST /api/v1/products: request body: new required field sku',
      'POST /api/v1/products: request body, field name: maxLength tightened to 100',
      'POST /api/v1/products: request body, field price: minimum tightened to 1',
    ]);
    const narrowed = Type.Object({ name: Type.String({ maxLength: 200 }), price: Type.Literal(5) });
    expect((await changes({ body: narrowed })).join('\n')).toContain(
      'field price: allowed values narrowed to [5]',
    );
  });

  it('any change to a deprecated version is allowed', async () => {
    const deprecatedBase = await documentOf({ v1Deprecated: true });
    const { price: _price, ...rest } = Product.properties;
    const broken = await documentOf({ v1Deprecated: true, product: Type.Object(rest), dropList: true });
    expect(openApiBreakingChanges(deprecatedBase, broken)).toEqual([]);
    // … and so is deprecating it (its clients were told).
    expect(openApiBreakingChanges(base, broken)).toEqual([]);
  });
});

describe('asyncApiBreakingChanges', () => {
  const Created = defineEvent({
    type: 'product.created',
    aggregateType: 'product',
    schema: Type.Object({ id: Type.String(), price: Type.Integer() }),
  });
  const Paid = defineEvent({
    type: 'payment.captured',
    aggregateType: 'payment',
    schema: Type.Object({ orderId: Type.String() }),
  });
  const was = asyncApiDocument('catalogue', { publishes: [Created], consumes: [Paid] });

  it('finds nothing between a document and itself', () => {
    expect(asyncApiBreakingChanges(was, was)).toEqual([]);
  });

  it('an event no longer published, a removed field, a consumer that now requires a field', () => {
    const CreatedWithout = defineEvent({ ...Created, schema: Type.Object({ id: Type.String() }) });
    const PaidStricter = defineEvent({
      ...Paid,
      schema: Type.Object({ orderId: Type.String(), amount: Type.Integer() }),
    });
    const now = asyncApiDocument('catalogue', { publishes: [CreatedWithout], consumes: [PaidStricter] });
    expect(asyncApiBreakingChanges(was, now).map((c) => `${c.where}: ${c.change}`)).toEqual([
      'event product.created: payload: removed field data.price',
      'event payment.captured: payload: new required field data.amount',
    ]);
    const none = asyncApiDocument('catalogue', { consumes: [Paid] });
    expect(asyncApiBreakingChanges(was, none).map((c) => c.change)).toEqual(['no longer published']);
  });
});
