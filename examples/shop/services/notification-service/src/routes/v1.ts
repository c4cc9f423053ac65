import { type ServiceApp, Type, tenantScope } from '@outrig/core';
import type { NotificationRepository } from '../repositories/notification-repository.ts';

const Notification = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenant: Type.String({ description: 'The tenant of the event it was made from' }),
  eventId: Type.String({ format: 'uuid', description: 'The CloudEvent id it was made from' }),
  type: Type.String({ description: 'Event type, e.g. product.created' }),
  subject: Type.Union([Type.String(), Type.Null()], { description: 'The aggregate id, e.g. the product id' }),
  source: Type.String(),
  data: Type.Unknown(),
  eventTime: Type.String({ format: 'date-time' }),
  createdAt: Type.String({ format: 'date-time' }),
});

/**
 * API v1: notifications, newest first. A token is required; callers see their own tenant's
 * notifications, admins any tenant's (`?tenant=`) or all (crossTenant).
 */
export function notificationRoutesV1(notifications: NotificationRepository) {
  return (api: ServiceApp) => {
    api.get(
      '/notifications',
      {
        config: { auth: 'required', crossTenant: true },
        schema: {
          summary: "List the caller's tenant's notifications, newest first",
          description:
            'Needs a token with a tenant. Admins may name another tenant with `?tenant=`, or omit it to list every tenant.',
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) }),
          response: { 200: Type.Array(Notification) },
        },
      },
      async (request) => notifications.list(tenantScope(request), request.query.limit),
    );
  };
}
