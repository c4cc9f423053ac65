import { randomUUID } from 'node:crypto';
import { AuthErrors } from './errors.ts';
import type { PasswordHasher } from './passwords/password-hasher.ts';
import { assertPasswordPolicy } from './passwords/password-policy.ts';
import type { User, UserRepository } from './repositories/user-repository.ts';

/** The tenant seeded admins belong to. */
export const DEFAULT_TENANT = 'default';

/** What `register` takes. */
export interface Registration {
  readonly email: string;
  readonly password: string;
  /** Absent: a new tenant named after the new user's id. */
  readonly tenant?: string;
}

/** The public view of an account. */
export interface Account {
  readonly id: string;
  readonly email: string;
  readonly tenant: string;
  readonly roles: readonly string[];
}

export const toAccount = (u: User): Account => ({
  id: u.id,
  email: u.email,
  tenant: u.tenant,
  roles: u.roles,
});

/** Emails are compared and stored lower-cased and trimmed. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** The verified caller of a request, if any (`request.principal`). */
export interface Caller {
  readonly roles: readonly string[];
}

/**
 * Account use cases: self-registration (role `user`), and the admin seed.
 *
 * Tenants: without `tenant`, a new account gets its own tenant (id = the account id). With
 * `tenant`, the account claims that tenant if nobody has it yet; joining an existing tenant
 * needs an admin's token (`TENANT_EXISTS` otherwise) — so nobody can register into someone
 * else's tenant and read its data. `default` (the admins' tenant) is never claimable.
 */
export class Accounts {
  readonly #users: UserRepository;
  readonly #hasher: PasswordHasher;

  constructor(users: UserRepository, hasher: PasswordHasher) {
    this.#users = users;
    this.#hasher = hasher;
  }

  async register(input: Registration, caller?: Caller): Promise<Account> {
    const email = normalizeEmail(input.email);
    assertPasswordPolicy(input.password, email);
    const id = randomUUID();
    const tenant = input.tenant ?? id;
    const admin = caller?.roles.includes('admin') === true;
    // `default` is the admins' tenant: reserved even before the first admin exists.
    if (tenant === DEFAULT_TENANT && !admin) throw AuthErrors.TENANT_EXISTS({ params: { tenant } });
    const result = await this.#users.create({
      id,
      email,
      passwordHash: await this.#hasher.hash(input.password),
      tenant,
      roles: ['user'],
      tenantMode: admin ? 'join' : 'claim',
    });
    if (result.kind === 'email_taken') throw AuthErrors.EMAIL_TAKEN();
    if (result.kind === 'tenant_exists') throw AuthErrors.TENANT_EXISTS({ params: { tenant } });
    return toAccount(result.user);
  }

  /**
   * Creates an admin in tenant `default` unless the email exists (idempotent: an existing
   * account is left as it is, password included). Returns whether it was created.
   * `passwordVariable` names where the password came from in a policy error (never the password).
   */
  async seedAdmin(
    emailInput: string,
    password: string,
    passwordVariable = 'The admin password',
  ): Promise<boolean> {
    const email = normalizeEmail(emailInput);
    try {
      assertPasswordPolicy(password, email);
    } catch (err) {
      throw AuthErrors.PASSWORD_POLICY({
        message: `${passwordVariable} does not meet the password policy`,
        details: (err as { details?: Record<string, unknown> }).details,
      });
    }
    if (await this.#users.findByEmail(email)) return false;
    const result = await this.#users.create({
      id: randomUUID(),
      email,
      passwordHash: await this.#hasher.hash(password),
      tenant: DEFAULT_TENANT,
      roles: ['admin'],
      tenantMode: 'join',
    });
    return result.kind === 'created';
  }
}
