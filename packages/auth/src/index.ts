export { type Account, Accounts, DEFAULT_TENANT } from './accounts.ts';
export { ClientRegistry, type ServiceClient } from './clients/client-registry.ts';
export { AUTH_CONFIG_DEFAULTS, type AuthConfigOptions, authConfig, authServiceConfig } from './config.ts';
export { AuthErrors } from './errors.ts';
export { UserRegistered } from './events/user-events.ts';
export {
  ensureSigningKey,
  KEY_ACTIVATION_DELAY_S,
  KEY_RETENTION_MARGIN_S,
  type RotateSigningKeysOptions,
  type RotateSigningKeysResult,
  rotateSigningKeys,
} from './keys/rotate-signing-keys.ts';
export { type PublicSigningJwk, SIGNING_ALG } from './keys/signing-key.ts';
export {
  type CurrentSigningKey,
  SigningKeyStore,
  type SigningKeyStoreOptions,
  type SigningKeys,
} from './keys/signing-key-store.ts';
export { type AuthStorage, createMemoryAuthStorage } from './memory-storage.ts';
export { authMigrations } from './migrations.ts';
export { DEFAULT_SCRYPT_PARAMS, PasswordHasher, type ScryptParams } from './passwords/password-hasher.ts';
export { type PasswordViolation, passwordViolations } from './passwords/password-policy.ts';
export type { RefreshTokenRepository, RotateResult } from './repositories/refresh-token-repository.ts';
export type {
  CreateUserResult,
  LockoutPolicy,
  NewUser,
  User,
  UserRepository,
} from './repositories/user-repository.ts';
export { type AuthServiceConfig, type AuthServiceOptions, createAuthService } from './service.ts';
export type { TokenPair } from './sessions.ts';
