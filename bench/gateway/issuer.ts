import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/** A JWKS endpoint the gateway verifies against, and a token it accepts (ES256, at+jwt). */
export interface BenchIssuer {
  readonly env: Record<string, string>;
  readonly token: string;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<BenchIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const issuer = 'http://bench.issuer';
  const audience = 'outrig-bench';
  const token = await new SignJWT({ roles: ['user'], tenant: 'bench', scope: 'read' })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'at+jwt' })
    .setSubject('bench-user')
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
  return {
    env: {
      JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: audience,
    },
    token,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
