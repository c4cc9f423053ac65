import { AuthErrors } from '../errors.ts';

/** Shortest accepted password, in characters (NIST SP 800-63B allows 8; we ask for 12). */
export const PASSWORD_MIN_LENGTH = 12;

/**
 * A small list of passwords of 12+ characters that appear at the top of breach corpora. A
 * production system would check a breach list (e.g. the k-anonymity range API of Pwned Passwords).
 */
const COMMON = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123456789abc',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'aaaaaaaaaaaa',
  'abcdefghijkl',
  'abc123456789',
  'adminadmin123',
  'iloveyou1234',
  'letmein12345',
  'password1234',
  'password12345',
  'password123!',
  'passwordpassword',
  'qwerty123456',
  'qwertyuiop12',
  'qwertyuiopasdf',
  'qazwsxedcrfv',
  'welcome12345',
  'changeme1234',
  'trustno11234',
  'monkey123456',
  'football1234',
  'baseball1234',
  'superman1234',
  'dragon123456',
]);

/** A rule the password broke, as listed in `PASSWORD_POLICY` details. */
export type PasswordViolation = 'too_short' | 'equals_email' | 'too_common';

/** The rules `password` breaks (empty: acceptable). Never includes the password itself. */
export function passwordViolations(password: string, email: string): PasswordViolation[] {
  const violations: PasswordViolation[] = [];
  const lower = password.normalize('NFKC').toLowerCase();
  if ([...password].length < PASSWORD_MIN_LENGTH) violations.push('too_short');
  const mail = email.trim().toLowerCase();
  if (lower === mail || lower === mail.split('@')[0]) violations.push('equals_email');
  if (COMMON.has(lower)) violations.push('too_common');
  return violations;
}

/**
 * Throws `PASSWORD_POLICY` (400) when `password` breaks a rule: at least 12 characters, not the
 * email (nor its local part), not a well-known password. `details` names the broken rules.
 */
export function assertPasswordPolicy(password: string, email: string): void {
  const violations = passwordViolations(password, email);
  if (violations.length === 0) return;
  throw AuthErrors.PASSWORD_POLICY({
    details: {
      violations,
      minLength: PASSWORD_MIN_LENGTH,
      fields: [{ path: 'body/password', message: `breaks the password policy: ${violations.join(', ')}` }],
    },
  });
}
