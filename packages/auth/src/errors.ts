import { defineErrors } from '@outrig/core';

/** auth-service's error codes (listed in docs/errors.md). */
export const AuthErrors = defineErrors({
  EMAIL_TAKEN: { status: 409, message: 'An account with this email already exists' },
  PASSWORD_POLICY: { status: 400, message: 'The password does not meet the password policy' },
  TENANT_EXISTS: {
    status: 403,
    message: 'Tenant {tenant} already exists: only an admin can add accounts to it',
  },
  INVALID_CREDENTIALS: { status: 401, message: 'Email or password is wrong' },
  ACCOUNT_LOCKED: {
    status: 429,
    message: 'Too many failed logins: the account is locked for a while',
    retryable: true,
  },
  REFRESH_TOKEN_INVALID: { status: 401, message: 'The refresh token is unknown, expired or revoked' },
  REFRESH_TOKEN_REUSED: {
    status: 401,
    message: 'The refresh token was already used: every token of its login was revoked',
  },
  CLIENT_CREDENTIALS_INVALID: { status: 401, message: 'Unknown client or wrong client secret' },
  AUTH_CLIENTS_INVALID: { status: 500, message: 'AUTH_CLIENTS is invalid: {reason}' },
  SIGNING_KEY_UNAVAILABLE: { status: 503, message: 'No signing key is available', retryable: true },
});
