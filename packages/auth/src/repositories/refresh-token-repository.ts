/** Outcome of presenting a refresh token for rotation. */
export type RotateResult =
  | { readonly kind: 'rotated'; readonly userId: string }
  /** Unknown, expired, revoked (logout, earlier reuse). */
  | { readonly kind: 'invalid' }
  /** It had been rotated already: its whole family is now revoked. */
  | { readonly kind: 'reused'; readonly userId: string; readonly familyId: string };

/**
 * Refresh tokens, by sha256 of the token. A login starts a family; each rotation marks the
 * presented token used and adds its successor to the family.
 */
export interface RefreshTokenRepository {
  /** Stores the first token of a new family (a login). */
  start(userId: string, tokenHash: Buffer, ttlS: number): Promise<void>;
  /**
   * Atomically: when `tokenHash` is live, marks it rotated and stores `nextHash` in its family;
   * when it was rotated before, revokes its family (committed) and reports `reused`.
   */
  rotate(tokenHash: Buffer, nextHash: Buffer, ttlS: number): Promise<RotateResult>;
  /** Revokes the family of `tokenHash` (logout). False when the token is unknown. */
  revokeFamily(tokenHash: Buffer): Promise<boolean>;
  /** Deletes tokens expired for more than `graceS` seconds; returns how many. */
  purgeExpired(graceS: number): Promise<number>;
}
