import { Type } from '@outrig/core';
import { defineEvent } from '@outrig/messaging';

/**
 * An account was created (self-registration, an admin, or the admin seed). Topic `user.events`,
 * key = user id. Never carries the password or its hash.
 */
export const UserRegistered = defineEvent({
  type: 'user.registered',
  aggregateType: 'user',
  schema: Type.Object({
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    tenant: Type.String(),
    roles: Type.Array(Type.String()),
  }),
  description: 'An account was created',
});
