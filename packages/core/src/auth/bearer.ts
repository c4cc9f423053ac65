/** What an `Authorization` header carries, as far as bearer auth is concerned. */
export type BearerCredentials =
  /** No header, or another scheme (`Basic`, `Token`…): no bearer credentials at all. */
  | { readonly kind: 'absent' }
  /** `Bearer` with nothing, or with characters a token cannot contain. */
  | { readonly kind: 'malformed' }
  | { readonly kind: 'token'; readonly token: string };

const ABSENT: BearerCredentials = { kind: 'absent' };
const MALFORMED: BearerCredentials = { kind: 'malformed' };
// RFC 6750 §2.1 b64token; a JWS compact token is three base64url segments joined by dots.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Reads bearer credentials from an `Authorization` header (RFC 6750 §2.1; the scheme is
 * case-insensitive). Never throws.
 */
export function parseBearer(header: string | undefined): BearerCredentials {
  if (header === undefined || header === '') return ABSENT;
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  if (scheme.length !== 6 || scheme.toLowerCase() !== 'bearer') return ABSENT;
  const token = space === -1 ? '' : header.slice(space + 1).trim();
  return token !== '' && B64TOKEN.test(token) ? { kind: 'token', token } : MALFORMED;
}
