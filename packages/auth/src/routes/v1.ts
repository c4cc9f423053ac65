import { errorResponse, isOutrigError, type ServiceApp } from '@outrig/core';
import type { Accounts } from '../accounts.ts';
import {
  Account,
  ClientCredentialsBody,
  LoginBody,
  Me,
  RefreshBody,
  RegisterBody,
  ServiceToken,
  TokenPair,
} from '../schemas/auth.ts';
import type { ServiceTokens } from '../service-tokens.ts';
import type { Sessions } from '../sessions.ts';

export interface AuthRoutesDeps {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly serviceTokens: ServiceTokens;
  /** Requests per client IP and minute on login, register and the token endpoint. */
  readonly credentialRateLimit: number;
}

/** Token answers must not be stored by caches (RFC 6749 §5.1). */
const noStore = (reply: { header(name: string, value: string): typeof reply }) =>
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');

/** API v1: accounts, sessions (login/refresh/logout), service tokens, and the caller. */
export function authRoutesV1(deps: AuthRoutesDeps) {
  const { accounts, sessions, serviceTokens } = deps;
  // Stricter than the service-wide limit: these routes take passwords and secrets.
  const rateLimit = { max: deps.credentialRateLimit, timeWindow: 60_000 };
  return (api: ServiceApp) => {
    api.post(
      '/auth/register',
      {
        config: { auth: 'optional', rateLimit },
        schema: {
          summary: 'Create an account (role user)',
          description:
            'Without `tenant` the account gets a tenant of its own. A `tenant` that exists already can only be joined with an admin bearer token.',
          body: RegisterBody,
          response: {
            201: Account,
            400: errorResponse(
              'VALIDATION_FAILED, PASSWORD_POLICY: the body or the password is not acceptable',
            ),
            403: errorResponse('TENANT_EXISTS: joining an existing tenant needs an admin token'),
            409: errorResponse('EMAIL_TAKEN: an account with this email exists'),
          },
        },
      },
      async (request, reply) => {
        const account = await accounts.register(request.body, request.principal);
        reply.code(201);
        return { ...account, roles: [...account.roles] };
      },
    );

    api.post(
      '/auth/login',
      {
        config: { rateLimit },
        schema: {
          summary: 'Log in with email and password',
          description:
            'Returns an access token and a single-use refresh token. After AUTH_LOCKOUT_THRESHOLD failures the account is locked (429 ACCOUNT_LOCKED, Retry-After).',
          body: LoginBody,
          response: {
            200: TokenPair,
            401: errorResponse('INVALID_CREDENTIALS: email or password is wrong'),
            429: errorResponse('ACCOUNT_LOCKED or RATE_LIMITED: try again after Retry-After'),
          },
        },
      },
      async (request, reply) => {
        try {
          const pair = await sessions.login(request.body.email, request.body.password);
          noStore(reply);
          return pair;
        } catch (err) {
          if (isOutrigError(err, 'ACCOUNT_LOCKED'))
            reply.header('retry-after', String(err.details?.retryAfterS));
          throw err;
        }
      },
    );

    api.post(
      '/auth/refresh',
      {
        schema: {
          summary: 'Exchange a refresh token for a new pair',
          description:
            'The presented token is spent. Presenting a spent token again revokes every token of its login.',
          body: RefreshBody,
          response: {
            200: TokenPair,
            401: errorResponse('REFRESH_TOKEN_INVALID, REFRESH_TOKEN_REUSED: log in again'),
          },
        },
      },
      async (request, reply) => {
        const pair = await sessions.refresh(request.body.refreshToken);
        noStore(reply);
        return pair;
      },
    );

    api.post(
      '/auth/logout',
      {
        schema: {
          summary: 'Revoke the refresh token and every token of its login',
          body: RefreshBody,
          response: { 204: { type: 'null', description: 'Revoked (also for an unknown token)' } },
        },
      },
      async (request, reply) => {
        await sessions.logout(request.body.refreshToken);
        reply.code(204);
      },
    );

    api.register(async (instance) => {
      const scope = instance as ServiceApp;
      // OAuth clients send the token request form-encoded (RFC 6749 §4.4.2); JSON works too.
      scope.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
      );
      scope.post(
        '/auth/token',
        {
          config: { rateLimit },
          schema: {
            summary: 'Client-credentials grant: a service token',
            description:
              'For services (AUTH_CLIENTS). The token has `sub: service:<client_id>`, `roles: ["service"]`, no tenant.',
            body: ClientCredentialsBody,
            response: {
              200: ServiceToken,
              401: errorResponse('CLIENT_CREDENTIALS_INVALID: unknown client or wrong secret'),
            },
          },
        },
        async (request, reply) => {
          const token = await serviceTokens.issue(request.body.client_id, request.body.client_secret);
          noStore(reply);
          return token;
        },
      );
    });

    api.get(
      '/auth/me',
      {
        config: { auth: 'required' },
        schema: { summary: 'Who the bearer token says the caller is', response: { 200: Me } },
      },
      async (request) => {
        const { subject, roles, scopes, tenant, claims } = request.principal!;
        return {
          subject,
          roles: [...roles],
          scopes: [...scopes],
          ...(tenant === undefined ? {} : { tenant }),
          ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
          expiresAt: new Date((claims.exp ?? 0) * 1000).toISOString(),
        };
      },
    );
  };
}
