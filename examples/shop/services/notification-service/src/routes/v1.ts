import { type ServiceApp, Type } from '@outrig/core';
import type { NotificationRepository } from '../repositories/notification-repository.ts';

const Notification = Type.Object({
  id: Type.String({ format: 'uuid' }),
  eventId: Type.String({ format: 'uuid', description: 'The CloudEvent id it was made from' }),
  type: Type.String({ description: 'Event type, e.g. product.created' }),
  subject: Type.Union([Type.String(), Type.Null()], { description: 'The aggregate id, e.g. the product id' }),
  source: Type.String(),
  data: Type.Unknown(),
  eventTime: Type.String({ format: 'date-time' }),
  createdAt: Type.String({ format: 'date-time' }),
});

/** API v1: notifications, newest first. */
export function notificationRoutesV1(notifications: NotificationRepository) {
  return (api: ServiceApp) => {
    api.get(
      '/notifications',
      {
        schema: {
          summary: 'List notifications, newest first',
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) }),
          response: { 200: Type.Array(Notification) },
        },
      },
      async (request) => notifications.list(request.query.limit),
    );
  };
}
