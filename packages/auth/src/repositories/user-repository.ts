/** An account as the service uses it. */
export interface User {
  readonly id: string;
  /** Lower-cased. */
  readonly email: string;
  readonly passwordHash: string;
  readonly tenant: string;
  readonly roles: readonly string[];
  /** Set while the account is locked after too many failed logins. */
  readonly lockedUntil: Date | null;
}

export interface NewUser {
  readonly id: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly tenant: string;
  readonly roles: readonly string[];
  /**
   * `claim`: the tenant must not exist yet (self-registration); `join`: it may exist (an admin
   * adds the account, or the admin seed).
   */
  readonly tenantMode: 'claim' | 'join';
}

/** Outcome of {@link UserRepository.create}. */
export type CreateUserResult =
  | { readonly kind: 'created'; readonly user: User }
  | { readonly kind: 'email_taken' }
  | { readonly kind: 'tenant_exists' };

/** Lockout rules applied by {@link UserRepository.recordFailedLogin}. */
export interface LockoutPolicy {
  /** Failures within `windowS` of each other that lock the account. */
  readonly threshold: number;
  /** Lock duration, and how long a failure counts. */
  readonly windowS: number;
}

/** Where accounts live. `create` publishes `user.registered` in the same transaction. */
export interface UserRepository {
  create(input: NewUser): Promise<CreateUserResult>;
  findByEmail(email: string): Promise<User | undefined>;
  findById(id: string): Promise<User | undefined>;
  /** Counts a failed login (atomically); locks the account when it reaches the threshold. */
  recordFailedLogin(id: string, policy: LockoutPolicy): Promise<{ lockedUntil: Date | null }>;
  /** Clears failures and lock; stores `newPasswordHash` when given (parameter upgrade). */
  recordSuccessfulLogin(id: string, newPasswordHash?: string): Promise<void>;
  /** Seconds until the lock ends per the database clock; 0 when not locked. */
  lockRemainingS(id: string): Promise<number>;
}
