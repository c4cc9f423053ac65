import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, importJWK, type JWTVerifyGetKey } from 'jose';
import { type GeneratedSigningKey, generateSigningKey, SIGNING_ALG } from './keys/signing-key.ts';
import type { CurrentSigningKey, SigningKeys } from './keys/signing-key-store.ts';
import type { RefreshTokenRepository } from './repositories/refresh-token-repository.ts';
import type { User, UserRepository } from './repositories/user-repository.ts';

/** What the auth service keeps: accounts, refresh tokens and signing keys. */
export interface AuthStorage {
  readonly users: UserRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly keys: SigningKeys;
}

/**
 * Auth storage in this process, for tests of services and systems that need real tokens
 * without a database: same rules as the PostgreSQL storage (lockout, refresh rotation with
 * reuse detection), one signing key made at first use, no `user.registered` event, nothing
 * kept after the process ends. Never for production.
 *
 * @example
 * const auth = await createAuthService({ env: { LOG_LEVEL: 'silent' }, storage: createMemoryAuthStorage() });
 */
export function createMemoryAuthStorage(): AuthStorage {
  return { users: memoryUsers(), refreshTokens: memoryRefreshTokens(), keys: memoryKeys() };
}

type StoredUser = { -readonly [K in keyof User]: User[K] } & { failedLogins: number; lastFailedAt: number };

function memoryUsers(): UserRepository {
  const users = new Map<string, StoredUser>();
  const tenants = new Set<string>();
  const view = (u: StoredUser | undefined): User | undefined =>
    u && {
      id: u.id,
      email: u.email,
      passwordHash: u.passwordHash,
      tenant: u.tenant,
      roles: u.roles,
      lockedUntil: u.lockedUntil,
    };
  const byEmail = (email: string) => [...users.values()].find((u) => u.email === email);
  return {
    async create(input) {
      if (byEmail(input.email)) return { kind: 'email_taken' };
      if (tenants.has(input.tenant) && input.tenantMode === 'claim') return { kind: 'tenant_exists' };
      tenants.add(input.tenant);
      const user: StoredUser = {
        ...input,
        roles: [...input.roles],
        lockedUntil: null,
        failedLogins: 0,
        lastFailedAt: 0,
      };
      users.set(user.id, user);
      return { kind: 'created', user: view(user)! };
    },
    findByEmail: async (email) => view(byEmail(email)),
    findById: async (id) => view(users.get(id)),
    async recordFailedLogin(id, policy) {
      const user = users.get(id);
      if (!user) return { lockedUntil: null };
      const now = Date.now();
      const count = now - user.lastFailedAt < policy.windowS * 1000 ? user.failedLogins + 1 : 1;
      user.lastFailedAt = now;
      if (count >= policy.threshold) {
        user.failedLogins = 0;
        user.lockedUntil = new Date(now + policy.windowS * 1000);
      } else user.failedLogins = count;
      return { lockedUntil: user.lockedUntil };
    },
    async recordSuccessfulLogin(id, newPasswordHash) {
      const user = users.get(id);
      if (!user) return;
      Object.assign(user, { failedLogins: 0, lastFailedAt: 0, lockedUntil: null });
      if (newPasswordHash) user.passwordHash = newPasswordHash;
    },
    async lockRemainingS(id) {
      const until = users.get(id)?.lockedUntil;
      return until ? Math.max(0, Math.ceil((until.getTime() - Date.now()) / 1000)) : 0;
    },
  };
}

interface StoredToken {
  readonly familyId: string;
  readonly userId: string;
  readonly expiresAt: number;
  rotated: boolean;
  revoked: boolean;
}

function memoryRefreshTokens(): RefreshTokenRepository {
  const tokens = new Map<string, StoredToken>();
  const key = (hash: Buffer) => hash.toString('hex');
  const revoke = (familyId: string) => {
    for (const t of tokens.values()) if (t.familyId === familyId) t.revoked = true;
  };
  const add = (hash: Buffer, familyId: string, userId: string, ttlS: number) =>
    tokens.set(key(hash), {
      familyId,
      userId,
      expiresAt: Date.now() + ttlS * 1000,
      rotated: false,
      revoked: false,
    });
  return {
    async start(userId, tokenHash, ttlS) {
      add(tokenHash, randomUUID(), userId, ttlS);
    },
    async rotate(tokenHash, nextHash, ttlS) {
      const token = tokens.get(key(tokenHash));
      if (!token || token.revoked) return { kind: 'invalid' };
      if (token.rotated) {
        revoke(token.familyId);
        return { kind: 'reused', userId: token.userId, familyId: token.familyId };
      }
      if (token.expiresAt <= Date.now()) return { kind: 'invalid' };
      token.rotated = true;
      add(nextHash, token.familyId, token.userId, ttlS);
      return { kind: 'rotated', userId: token.userId };
    },
    async revokeFamily(tokenHash) {
      const token = tokens.get(key(tokenHash));
      if (!token) return false;
      revoke(token.familyId);
      return true;
    },
    async purgeExpired(graceS) {
      let n = 0;
      for (const [k, t] of tokens) {
        if (t.expiresAt < Date.now() - graceS * 1000 && tokens.delete(k)) n++;
      }
      return n;
    },
  };
}

function memoryKeys(): SigningKeys {
  let made: Promise<{ generated: GeneratedSigningKey; current: CurrentSigningKey }> | undefined;
  const key = () => {
    made ??= generateSigningKey().then(async (generated) => ({
      generated,
      current: {
        kid: generated.kid,
        privateKey: (await importJWK(generated.privateJwk, SIGNING_ALG)) as CurrentSigningKey['privateKey'],
      },
    }));
    return made;
  };
  const jwks = async () => ({ keys: [(await key()).generated.publicJwk] });
  const verificationKey: JWTVerifyGetKey = async (header, token) =>
    createLocalJWKSet(await jwks())(header, token);
  return { current: async () => (await key()).current, jwks, verificationKey };
}
