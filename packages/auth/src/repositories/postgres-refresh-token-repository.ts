import { randomUUID } from 'node:crypto';
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { refreshTokenTable as t } from '../models/auth-tables.ts';
import type { RefreshTokenRepository } from './refresh-token-repository.ts';

const expiresIn = (ttlS: number) => sql`clock_timestamp() + make_interval(secs => ${ttlS})`;

/** Refresh tokens in auth-service's database (Drizzle), times on the database clock. */
export function createPostgresRefreshTokenRepository(db: NodePgDatabase): RefreshTokenRepository {
  return {
    async start(userId, tokenHash, ttlS) {
      const id = randomUUID();
      await db.insert(t).values({ id, tokenHash, familyId: id, userId, expiresAt: expiresIn(ttlS) });
    },
    rotate(tokenHash, nextHash, ttlS) {
      return db.transaction(async (tx) => {
        // The row lock serialises concurrent presentations of one token: one rotates, the others see reuse.
        const [row] = await tx
          .select({
            id: t.id,
            familyId: t.familyId,
            userId: t.userId,
            rotatedAt: t.rotatedAt,
            revokedAt: t.revokedAt,
            live: sql<boolean>`${t.expiresAt} > clock_timestamp()`,
          })
          .from(t)
          .where(eq(t.tokenHash, tokenHash))
          .for('update');
        if (!row || row.revokedAt !== null) return { kind: 'invalid' } as const;
        if (row.rotatedAt !== null) {
          await tx
            .update(t)
            .set({ revokedAt: sql`clock_timestamp()` })
            .where(and(eq(t.familyId, row.familyId), isNull(t.revokedAt)));
          return { kind: 'reused', userId: row.userId, familyId: row.familyId } as const;
        }
        if (!row.live) return { kind: 'invalid' } as const;
        await tx.update(t).set({ rotatedAt: sql`clock_timestamp()` }).where(eq(t.id, row.id));
        await tx.insert(t).values({
          id: randomUUID(),
          tokenHash: nextHash,
          familyId: row.familyId,
          parentId: row.id,
          userId: row.userId,
          expiresAt: expiresIn(ttlS),
        });
        return { kind: 'rotated', userId: row.userId } as const;
      });
    },
    async revokeFamily(tokenHash) {
      const [row] = await db.select({ familyId: t.familyId }).from(t).where(eq(t.tokenHash, tokenHash));
      if (!row) return false;
      await db
        .update(t)
        .set({ revokedAt: sql`clock_timestamp()` })
        .where(and(eq(t.familyId, row.familyId), isNull(t.revokedAt)));
      return true;
    },
    async purgeExpired(graceS) {
      const gone = await db
        .delete(t)
        .where(lt(t.expiresAt, sql`clock_timestamp() - make_interval(secs => ${graceS})`))
        .returning({ id: t.id });
      return gone.length;
    },
  };
}
