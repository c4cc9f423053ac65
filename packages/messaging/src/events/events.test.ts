import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '../cloud-event.ts';
import { createEvent } from './create-event.ts';
import { defineEvent } from './event-definition.ts';
import { createEventRegistry } from './event-registry.ts';
import { validateEvent } from './validate-event.ts';

const ProductCreated = defineEvent({
  type: 'product.created',
  aggregateType: 'product',
  schema: Type.Object({
    name: Type.String({ minLength: 1 }),
    priceCents: Type.Integer({ minimum: 0 }),
    tags: Type.Optional(Type.Array(Type.String())),
  }),
});
const source = '/services/catalog';

describe('defineEvent', () => {
  it('derives the default topic from the aggregate type', () => {
    expect(ProductCreated.topic).toBe('product.events');
    expect(defineEvent({ ...ProductCreated, topic: 'catalog' }).topic).toBe('catalog');
  });

  it('refuses a malformed definition at start', () => {
    const schema = Type.Object({});
    expect(() => defineEvent({ type: 'created', aggregateType: 'product', schema })).toThrow(
      expect.objectContaining({ code: 'EVENT_DEFINITION_INVALID' }),
    );
    expect(() => defineEvent({ type: 'product.created', aggregateType: 'has space', schema })).toThrow(
      /aggregateType/,
    );
  });
});

describe('createEvent', () => {
  it('builds a CloudEvent with a UUIDv7 id, time and the Outrig extensions', () => {
    const event = createEvent(ProductCreated, {
      subject: 'p-1',
      data: { name: 'Lamp', priceCents: 1999 },
      source,
      correlationId: 'req-1',
      causationId: 'cmd-1',
    });
    expect(event).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      source,
      type: 'product.created',
      subject: 'p-1',
      time: expect.any(String),
      datacontenttype: 'application/json',
      data: { name: 'Lamp', priceCents: 1999 },
      aggregatetype: 'product',
      correlationid: 'req-1',
      causationid: 'cmd-1',
    });
    expect(new Date(event.time).toISOString()).toBe(event.time);
  });

  it('refuses invalid data with one field error per problem', () => {
    const data = { name: '', priceCents: 1.5 } as never;
    const error = (() => {
      try {
        createEvent(ProductCreated, { subject: '', data, source });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({
      code: 'EVENT_INVALID',
      status: 422,
      details: {
        type: 'product.created',
        fields: expect.arrayContaining([
          expect.objectContaining({ path: 'subject' }),
          expect.objectContaining({ path: 'data/name' }),
          expect.objectContaining({ path: 'data/priceCents' }),
        ]),
      },
    });
  });

  it('names each missing required property', () => {
    expect(() => createEvent(ProductCreated, { subject: 'p', data: {} as never, source })).toThrow(
      expect.objectContaining({
        details: {
          type: 'product.created',
          fields: [
            { path: 'data/name', message: 'is required' },
            { path: 'data/priceCents', message: 'is required' },
          ],
        },
      }),
    );
  });
});

describe('validateEvent and the registry', () => {
  const valid = createEvent(ProductCreated, {
    subject: 'p-1',
    data: { name: 'Lamp', priceCents: 1 },
    source,
  });

  it('accepts a matching event and types its data', () => {
    const event = validateEvent(ProductCreated, valid as CloudEvent);
    expect(event.data.name).toBe('Lamp');
  });

  it('reports envelope and data problems of an incoming event', () => {
    const bad = {
      ...valid,
      type: 'product.deleted',
      subject: undefined,
      data: { name: 3 },
    } as unknown as CloudEvent;
    expect(() => validateEvent(ProductCreated, bad)).toThrow(
      expect.objectContaining({
        code: 'EVENT_INVALID',
        details: expect.objectContaining({
          fields: expect.arrayContaining([
            expect.objectContaining({ path: 'type' }),
            expect.objectContaining({ path: 'subject' }),
            expect.objectContaining({ path: 'data/name' }),
            expect.objectContaining({ path: 'data/priceCents' }),
          ]),
        }),
      }),
    );
  });

  it('validates by type, refuses unknown types and duplicate registrations', () => {
    const registry = createEventRegistry([ProductCreated]);
    expect(registry.validate(valid as CloudEvent)).toBe(valid);
    expect(registry.has('product.created')).toBe(true);
    expect(() => registry.validate({ ...valid, type: 'product.sold' } as CloudEvent)).toThrow(
      expect.objectContaining({ code: 'EVENT_TYPE_UNKNOWN' }),
    );
    expect(() => createEventRegistry([ProductCreated, ProductCreated])).toThrow(
      expect.objectContaining({ code: 'EVENT_TYPE_DUPLICATE' }),
    );
  });
});
