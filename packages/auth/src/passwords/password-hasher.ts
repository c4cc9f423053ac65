import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost parameters. `N = 2 ** ln`. */
export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  readonly ln: number;
  /** Block size. */
  readonly r: number;
  /** Parallelisation. */
  readonly p: number;
}

/** N = 2^15, r = 8, p = 1 (32 MiB, ~50–100 ms per hash); raise `ln` toward 17 where memory allows. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { ln: 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 64;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const options: ScryptOptions = {
    N: 2 ** params.ln,
    r: params.r,
    p: params.p,
    // scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is exactly N=2^15, r=8: leave room.
    maxmem: 256 * 2 ** params.ln * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, length, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

/**
 * Password hashing with scrypt (node:crypto, on the libuv pool: never blocks the event loop).
 * Hashes are PHC strings that carry their parameters (`$scrypt$ln=15,r=8,p=1$<salt>$<hash>`), so
 * the parameters can be raised later: old hashes still verify, and {@link needsRehash} says which
 * to upgrade at the next successful login.
 */
export class PasswordHasher {
  readonly #params: ScryptParams;

  constructor(params: ScryptParams = DEFAULT_SCRYPT_PARAMS) {
    this.#params = params;
  }

  /** A new hash with a fresh 16-byte salt. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, this.#params, KEY_BYTES);
    const { ln, r, p } = this.#params;
    return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
  }

  /** True when `password` matches `encoded` (constant-time compare). False for a malformed hash. */
  async verify(password: string, encoded: string): Promise<boolean> {
    const m = PHC.exec(encoded);
    if (!m) return false;
    const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
    const expected = Buffer.from(m[5]!, 'base64');
    if (params.ln < 10 || params.ln > 20 || expected.length < 16) return false;
    const actual = await derive(password, Buffer.from(m[4]!, 'base64'), params, expected.length);
    return timingSafeEqual(actual, expected);
  }

  /** True when `encoded` was made with other parameters than this hasher's. */
  needsRehash(encoded: string): boolean {
    const { ln, r, p } = this.#params;
    return !encoded.startsWith(`$scrypt$ln=${ln},r=${r},p=${p}$`);
  }
}
