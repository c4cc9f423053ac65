import { type ServiceApp, Type, tenantOf } from '@outrig/core';
import type { SqlQueryable } from '@outrig/db';
import { PaymentErrors } from '../errors.ts';
import { findPayment } from '../payments.ts';
import type { FakeProvider } from '../provider.ts';

const Payment = Type.Object({
  orderId: Type.String(),
  tenant: Type.String(),
  amount: Type.Integer({ description: 'Minor units (for a refunded payment: what was given back)' }),
  currency: Type.String(),
  status: Type.Union([Type.Literal('charged'), Type.Literal('declined'), Type.Literal('refunded')]),
  reason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const Provider = Type.Object({
  answering: Type.Boolean({ description: 'false: charges are taken but never answered (tests)' }),
  declineAbove: Type.Integer({ description: 'Amounts above this (minor units) are declined' }),
});

/** API v1: an order's payment (its tenant only), and the fake provider's switch (admins). */
export function paymentRoutesV1(sql: SqlQueryable, provider: FakeProvider) {
  const providerState = () => ({ answering: provider.answering, declineAbove: provider.declineAbove });
  return (api: ServiceApp) => {
    api.get(
      '/payments/:orderId',
      {
        config: { auth: 'required' },
        schema: {
          summary: "The payment of an order of the caller's tenant",
          params: Type.Object({ orderId: Type.String({ minLength: 1, maxLength: 100 }) }),
          response: { 200: Payment },
        },
      },
      async (request) => {
        const payment = await findPayment(sql, tenantOf(request), request.params.orderId);
        if (!payment) throw PaymentErrors.PAYMENT_NOT_FOUND({ params: { orderId: request.params.orderId } });
        return payment;
      },
    );
    api.get(
      '/payments/provider',
      {
        config: { roles: ['admin'] },
        schema: {
          summary: 'The fake provider: answering or silent, and its decline limit (admin)',
          response: { 200: Provider },
        },
      },
      async () => providerState(),
    );
    api.put(
      '/payments/provider',
      {
        config: { roles: ['admin'] },
        schema: {
          summary: 'Make the fake provider answer charges or stop answering them (admin; for tests)',
          body: Type.Object({ answering: Type.Boolean() }, { additionalProperties: false }),
          response: { 200: Provider },
        },
      },
      async (request) => {
        provider.answering = request.body.answering;
        request.log.warn({ answering: provider.answering }, 'fake payment provider switched');
        return providerState();
      },
    );
  };
}
