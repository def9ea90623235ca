import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants, KeyObject, randomUUID, sign } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export type SigningAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

export interface SigningKey {
  readonly alg: SigningAlgorithm;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function createSigningKey(
  alg: SigningAlgorithm,
  kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`,
): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig' };
  return { alg, kid, privateKey, publicJwk };
}

export interface TokenOptions {
  readonly key?: SigningKey;
  /** Header fields merged over { alg, kid, typ: 'at+jwt' }; set a field to undefined to drop it. */
  readonly header?: Record<string, unknown>;
}

/**
 * A token issuer for tests: real key pairs, a JWKS served by a real HTTP server on a free port,
 * tokens signed with jose. The server can be stopped, slowed or made to answer garbage.
 */
export class TestIssuer {
  readonly issuer: string;
  readonly audience = 'https://api.example.com';
  jwksFetches = 0;
  /** What the JWKS endpoint answers: the key set, an HTTP error, garbage, or a hang. */
  mode: 'ok' | 'error' | 'garbage' | 'hang' = 'ok';
  private server: Server | undefined;
  private port = 0;

  private constructor(
    public keys: SigningKey[],
    issuer?: string,
  ) {
    this.issuer = issuer ?? 'https://issuer.example.com/';
  }

  static async start(options: { algorithms?: SigningAlgorithm[]; issuer?: string } = {}): Promise<TestIssuer> {
    const algorithms = options.algorithms ?? ['RS256', 'ES256', 'PS256', 'EdDSA'];
    const keys = await Promise.all(algorithms.map((alg) => createSigningKey(alg)));
    const issuer = new TestIssuer(keys, options.issuer);
    await issuer.listen();
    return issuer;
  }

  get jwksUri(): string {
    return `http://127.0.0.1:${this.port}/.well-known/jwks.json`;
  }

  /** Authorizer environment trusting this issuer. */
  get env(): Record<string, string> {
    return { JWT_ISSUER: this.issuer, JWT_AUDIENCE: this.audience, JWKS_URI: this.jwksUri };
  }

  key(alg: SigningAlgorithm = 'RS256'): SigningKey {
    const key = this.keys.find((candidate) => candidate.alg === alg);
    if (!key) throw new Error(`test issuer has no ${alg} key`);
    return key;
  }

  /** Standard claims for a fresh access token, overridable; a claim set to undefined is dropped. */
  claims(overrides: Record<string, unknown> = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      sub: 'user-1',
      aud: this.audience,
      iat: now,
      exp: now + 3600,
      jti: randomUUID(),
      client_id: 'client-1',
      scope: 'read write',
      ...overrides,
    };
    for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
    return claims as JWTPayload;
  }

  async token(overrides: Record<string, unknown> = {}, options: TokenOptions = {}): Promise<string> {
    const key = options.key ?? this.key();
    const header: Record<string, unknown> = { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header };
    for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
    return new SignJWT(this.claims(overrides)).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
  }

  async listen(): Promise<void> {
    this.server = createServer((request, response) => {
      this.jwksFetches++;
      if (this.mode === 'hang') return;
      if (this.mode === 'error') {
        response.writeHead(503).end('unavailable');
        return;
      }
      const body = this.mode === 'garbage' ? '{"keys": not json' : JSON.stringify({ keys: this.keys.map((key) => key.publicJwk) });
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Signs exactly the given header and payload text (which may be malformed on purpose, e.g. with
 * duplicate members), returning a compact JWS. `alg` picks the node:crypto parameters.
 */
export function signRaw(headerText: string, payloadText: string, key: SigningKey): string {
  const signingInput = `${Buffer.from(headerText).toString('base64url')}.${Buffer.from(payloadText).toString('base64url')}`;
  const privateKey = key.privateKey instanceof KeyObject ? key.privateKey : KeyObject.from(key.privateKey);
  const data = Buffer.from(signingInput);
  const signature =
    key.alg === 'EdDSA'
      ? sign(null, data, privateKey)
      : key.alg === 'ES256'
        ? sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
        : key.alg === 'PS256'
          ? sign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
          : sign('sha256', data, privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}
