import { describe, expect, it } from 'vitest';
import { PasswordHasher } from './password-hasher.ts';
import { passwordViolations } from './password-policy.ts';

describe('PasswordHasher (scrypt)', () => {
  const hasher = new PasswordHasher();

  it('makes PHC strings with the parameters, a 16-byte salt and a 64-byte key; salts differ', async () => {
    const a = await hasher.hash('correct horse battery staple');
    const b = await hasher.hash('correct horse battery staple');
    expect(a).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{86}$/);
    expect(a).not.toBe(b);
    expect(await hasher.verify('correct horse battery staple', a)).toBe(true);
    expect(await hasher.verify('correct horse battery stapler', a)).toBe(false);
  });

  it('verifies hashes made with other parameters, and says they need a rehash', async () => {
    const cheap = new PasswordHasher({ ln: 10, r: 8, p: 1 });
    const old = await cheap.hash('an older password hash');
    expect(old.startsWith('$scrypt$ln=10,')).toBe(true);
    expect(await hasher.verify('an older password hash', old)).toBe(true);
    expect(hasher.needsRehash(old)).toBe(true);
    expect(hasher.needsRehash(await hasher.hash('x'))).toBe(false);
  });

  it('answers false (not an error) for a malformed or tampered hash', async () => {
    expect(await hasher.verify('x', 'plain-text')).toBe(false);
    expect(
      await hasher.verify('x', '$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA'),
    ).toBe(false);
  });
});

describe('password policy', () => {
  it('wants 12+ characters, not the email or its local part, not a common password', () => {
    expect(passwordViolations('a fine passphrase', 'ada@example.com')).toEqual([]);
    expect(passwordViolations('elevenchars', 'ada@example.com')).toEqual(['too_short']);
    expect(passwordViolations('ADA@example.com', 'ada@example.com')).toEqual(['equals_email']);
    expect(passwordViolations('adalovelace1', 'adalovelace1@example.com')).toEqual(['equals_email']);
    expect(passwordViolations('QWERTY123456', 'ada@example.com')).toEqual(['too_common']);
  });
});
