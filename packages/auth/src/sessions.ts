import { normalizeEmail } from './accounts.ts';
import { AuthErrors } from './errors.ts';
import type { PasswordHasher } from './passwords/password-hasher.ts';
import type { RefreshTokenRepository } from './repositories/refresh-token-repository.ts';
import type { LockoutPolicy, User, UserRepository } from './repositories/user-repository.ts';
import type { AccessTokenIssuer } from './tokens/access-token-issuer.ts';
import { hashRefreshToken, newRefreshToken } from './tokens/refresh-token.ts';

/** What login and refresh return. */
export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
  readonly tokenType: 'Bearer';
}

/** Something that wants to know about security events (the service logs them). */
export interface SessionAudit {
  loginFailed(info: { userId?: string; locked: boolean }): void;
  refreshReused(info: { userId: string; familyId: string }): void;
}

export interface SessionsOptions {
  readonly users: UserRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly hasher: PasswordHasher;
  readonly issuer: AccessTokenIssuer;
  readonly refreshTtlS: number;
  readonly lockout: LockoutPolicy;
  /** A hash of a random password, verified for unknown emails so they cost the same time. */
  readonly dummyHash: string;
  readonly audit: SessionAudit;
}

/** Login, refresh-token rotation with reuse detection, and logout. */
export class Sessions {
  readonly #o: SessionsOptions;

  constructor(options: SessionsOptions) {
    this.#o = options;
  }

  /**
   * Checks the password (scrypt; unknown emails run scrypt too and get the same answer) and
   * starts a token family. Throws `INVALID_CREDENTIALS`, or `ACCOUNT_LOCKED` with
   * `details.retryAfterS` while the account is locked.
   */
  async login(emailInput: string, password: string): Promise<TokenPair> {
    const { users, hasher, audit } = this.#o;
    const user = await users.findByEmail(normalizeEmail(emailInput));
    if (!user) {
      await hasher.verify(password, this.#o.dummyHash);
      audit.loginFailed({ locked: false });
      throw AuthErrors.INVALID_CREDENTIALS();
    }
    await this.#assertNotLocked(user);
    if (!(await hasher.verify(password, user.passwordHash))) {
      const { lockedUntil } = await users.recordFailedLogin(user.id, this.#o.lockout);
      audit.loginFailed({ userId: user.id, locked: lockedUntil !== null && lockedUntil > new Date() });
      throw AuthErrors.INVALID_CREDENTIALS();
    }
    const upgraded = hasher.needsRehash(user.passwordHash) ? await hasher.hash(password) : undefined;
    await users.recordSuccessfulLogin(user.id, upgraded);
    const refreshToken = newRefreshToken();
    await this.#o.refreshTokens.start(user.id, hashRefreshToken(refreshToken), this.#o.refreshTtlS);
    return this.#pair(user, refreshToken);
  }

  /**
   * Rotates a refresh token: the presented one is spent, a new pair is returned (roles and
   * tenant re-read). A spent token presented again revokes its whole family:
   * `REFRESH_TOKEN_REUSED`; any later refresh of that family fails with `REFRESH_TOKEN_INVALID`.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const next = newRefreshToken();
    const result = await this.#o.refreshTokens.rotate(
      hashRefreshToken(refreshToken),
      hashRefreshToken(next),
      this.#o.refreshTtlS,
    );
    if (result.kind === 'reused') {
      this.#o.audit.refreshReused({ userId: result.userId, familyId: result.familyId });
      throw AuthErrors.REFRESH_TOKEN_REUSED();
    }
    if (result.kind === 'invalid') throw AuthErrors.REFRESH_TOKEN_INVALID();
    const user = await this.#o.users.findById(result.userId);
    // A lockout (password guessing) does not end sessions: anyone could lock anyone out.
    if (!user) throw AuthErrors.REFRESH_TOKEN_INVALID();
    return this.#pair(user, next);
  }

  /** Revokes the family of `refreshToken`. Unknown tokens are ignored (logout is idempotent). */
  async logout(refreshToken: string): Promise<void> {
    await this.#o.refreshTokens.revokeFamily(hashRefreshToken(refreshToken));
  }

  async #assertNotLocked(user: User): Promise<void> {
    if (user.lockedUntil === null) return;
    const retryAfterS = await this.#o.users.lockRemainingS(user.id);
    if (retryAfterS > 0) throw AuthErrors.ACCOUNT_LOCKED({ details: { retryAfterS } });
  }

  async #pair(user: User, refreshToken: string): Promise<TokenPair> {
    const { accessToken, expiresIn } = await this.#o.issuer.issue({
      sub: user.id,
      roles: user.roles,
      tenant: user.tenant,
      email: user.email,
    });
    return { accessToken, refreshToken, expiresIn, tokenType: 'Bearer' };
  }
}
