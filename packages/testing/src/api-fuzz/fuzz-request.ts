/** One generated request, ready to send: the path is already percent-encoded (or deliberately not). */
export interface FuzzRequest {
  readonly method: string;
  /** Path and query string, as sent on the request line. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** What was changed from a valid request (`body: stock = 9007199254740992`, `token: alg none`); empty when valid. */
  readonly mutations: readonly string[];
  /** Which credentials the request carries. */
  readonly token: TokenVariant;
}

/** The credentials a request carries: none, the token the fuzzer was given, or a bad or forged one. */
export type TokenVariant =
  | 'none'
  | 'given'
  | 'malformed'
  | 'wrong-scheme'
  | 'alg-none'
  | 'forged-signature'
  | 'hs256';

/** Bad or forged credentials: an operation that needs a token must never answer 2xx to one. */
export const FORGED_TOKENS: ReadonlySet<TokenVariant> = new Set([
  'malformed',
  'wrong-scheme',
  'alg-none',
  'forged-signature',
  'hs256',
]);

/**
 * The request as a curl command line (single-quoted for POSIX shells; `--path-as-is` and `-g` so
 * curl sends the path byte for byte). The token the fuzzer was given is written as `$TOKEN`,
 * never in clear.
 */
export function toCurl(baseUrl: string, request: FuzzRequest, givenToken?: string): string {
  const parts = [
    'curl',
    '-i',
    '--path-as-is',
    '-g',
    '-X',
    request.method,
    quote(joinUrl(baseUrl, request.path)),
  ];
  for (const [name, value] of Object.entries(request.headers)) {
    if (givenToken && value.includes(givenToken)) {
      parts.push('-H', `"${name}: ${value.replace(givenToken, '$TOKEN').replace(/["\\`]/g, '\\$&')}"`);
    } else {
      parts.push('-H', quote(`${name}: ${value}`));
    }
  }
  if (request.body !== undefined) {
    parts.push(
      '--data-binary',
      quote(request.body.length > 2000 ? `${request.body.slice(0, 2000)}…` : request.body),
    );
  }
  return parts.join(' ');
}

/** `base` (which may carry a path prefix) followed by `path`. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
