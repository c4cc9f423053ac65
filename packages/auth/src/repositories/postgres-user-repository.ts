import { joinDrizzleTransaction } from '@outrig/db';
import type { Outbox } from '@outrig/messaging';
import { eq, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { UserRegistered } from '../events/user-events.ts';
import { tenantTable, userTable } from '../models/auth-tables.ts';
import type { CreateUserResult, User, UserRepository } from './user-repository.ts';

type Row = typeof userTable.$inferSelect;

const toUser = (r: Row): User => ({
  id: r.id,
  email: r.email,
  passwordHash: r.passwordHash,
  tenant: r.tenant,
  roles: r.roles,
  lockedUntil: r.lockedUntil,
});

/** Rolls a transaction back with a known outcome. */
class Outcome extends Error {
  readonly result: CreateUserResult;
  constructor(result: CreateUserResult) {
    super(result.kind);
    this.result = result;
  }
}

/**
 * Accounts in auth-service's database (Drizzle). Creating one commits `user.registered` to the
 * outbox in the same transaction as the insert.
 */
export function createPostgresUserRepository(db: NodePgDatabase, outbox: Outbox): UserRepository {
  const byEmail = async (email: string) => {
    const [row] = await db.select().from(userTable).where(eq(userTable.email, email));
    return row && toUser(row);
  };
  return {
    async create(input) {
      if (await byEmail(input.email)) return { kind: 'email_taken' };
      try {
        return await db.transaction(async (tx) => {
          const claimed = await tx
            .insert(tenantTable)
            .values({ id: input.tenant })
            .onConflictDoNothing()
            .returning({ id: tenantTable.id });
          if (claimed.length === 0 && input.tenantMode === 'claim') {
            throw new Outcome({ kind: 'tenant_exists' });
          }
          const [row] = await tx
            .insert(userTable)
            .values({
              id: input.id,
              email: input.email,
              passwordHash: input.passwordHash,
              tenant: input.tenant,
              roles: [...input.roles],
            })
            .onConflictDoNothing({ target: userTable.email })
            .returning();
          if (!row) throw new Outcome({ kind: 'email_taken' });
          const user = toUser(row);
          await outbox.write(
            joinDrizzleTransaction(tx),
            outbox.event(UserRegistered, {
              subject: user.id,
              data: { id: user.id, email: user.email, tenant: user.tenant, roles: [...user.roles] },
            }),
          );
          return { kind: 'created', user } as const;
        });
      } catch (err) {
        if (err instanceof Outcome) return err.result;
        throw err;
      }
    },
    findByEmail: byEmail,
    async findById(id) {
      const [row] = await db.select().from(userTable).where(eq(userTable.id, id));
      return row && toUser(row);
    },
    async recordFailedLogin(id, policy) {
      const window = sql`make_interval(secs => ${policy.windowS})`;
      // One statement: concurrent failures all count. Failures older than the window start over.
      const count = sql`CASE WHEN ${userTable.lastFailedAt} > clock_timestamp() - ${window}
        THEN ${userTable.failedLogins} + 1 ELSE 1 END`;
      const [row] = await db
        .update(userTable)
        .set({
          failedLogins: sql`CASE WHEN ${count} >= ${policy.threshold} THEN 0 ELSE ${count} END`,
          lastFailedAt: sql`clock_timestamp()`,
          lockedUntil: sql`CASE WHEN ${count} >= ${policy.threshold}
            THEN clock_timestamp() + ${window} ELSE ${userTable.lockedUntil} END`,
        })
        .where(eq(userTable.id, id))
        .returning({ lockedUntil: userTable.lockedUntil });
      return { lockedUntil: row?.lockedUntil ?? null };
    },
    async recordSuccessfulLogin(id, newPasswordHash) {
      await db
        .update(userTable)
        .set({
          failedLogins: 0,
          lastFailedAt: null,
          lockedUntil: null,
          ...(newPasswordHash ? { passwordHash: newPasswordHash } : {}),
        })
        .where(eq(userTable.id, id));
    },
    async lockRemainingS(id) {
      const [row] = await db
        .select({
          s: sql<number>`ceil(greatest(0, extract(epoch FROM ${userTable.lockedUntil} - clock_timestamp())))::int`,
        })
        .from(userTable)
        .where(eq(userTable.id, id));
      return row?.s ?? 0;
    },
  };
}
