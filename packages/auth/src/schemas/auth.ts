import { type Static, Type } from '@outrig/core';

const Email = Type.String({ format: 'email', maxLength: 254, examples: ['ada@example.com'] });
/** Length bounds only; the policy (12+ characters, …) answers PASSWORD_POLICY with details. */
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const Tenant = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'Tenant id' });

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Password,
    tenant: Type.Optional(Tenant),
  },
  { additionalProperties: false },
);

export const LoginBody = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254 }), password: Password },
  { additionalProperties: false },
);

export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);

/** RFC 6749 §4.4 names (JSON or application/x-www-form-urlencoded). */
export const ClientCredentialsBody = Type.Object(
  {
    grant_type: Type.Literal('client_credentials'),
    client_id: Type.String({ minLength: 1, maxLength: 64 }),
    client_secret: Type.String({ minLength: 1, maxLength: 512 }),
  },
  { additionalProperties: false },
);

export const Account = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  tenant: Type.String(),
  roles: Type.Array(Type.String()),
});

export const TokenPair = Type.Object({
  accessToken: Type.String({ description: 'JWT (ES256), send as `Authorization: Bearer …`' }),
  refreshToken: Type.String({ description: 'Opaque; single use (each refresh returns a new one)' }),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  tokenType: Type.Literal('Bearer'),
});

export const ServiceToken = Type.Object({
  accessToken: Type.String(),
  expiresIn: Type.Integer(),
  tokenType: Type.Literal('Bearer'),
});

export const Me = Type.Object({
  subject: Type.String(),
  roles: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  tenant: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  expiresAt: Type.String({ format: 'date-time', description: 'When the presented token expires' }),
});

export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.String(),
      crv: Type.String(),
      x: Type.String(),
      y: Type.String(),
      kid: Type.String(),
      alg: Type.String(),
      use: Type.String(),
    }),
  ),
});

export type RegisterBody = Static<typeof RegisterBody>;
