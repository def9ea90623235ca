import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';

/** What a minted token is made of; everything but `sub` has a default. */
export interface MintRequest {
  readonly sub: string;
  /** The `client_id` claim. @default demo-client */
  readonly clientId?: string | undefined;
  readonly scope?: string | undefined;
  /** @default 3600 */
  readonly ttlSeconds?: number | undefined;
  /** @default a random UUID */
  readonly jti?: string | undefined;
  /** The `sid` claim (the session a session revocation names). @default none */
  readonly sid?: string | undefined;
}

/** What a logout token names: `sid`, `sub` or both (OIDC Back-Channel Logout 1.0 §2.4). */
export interface LogoutRequest {
  readonly sub?: string | undefined;
  readonly sid?: string | undefined;
}

/** OIDC Back-Channel Logout 1.0 §2.4: the event member of a logout token. */
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** §4: "OPs are encouraged to use short expiration times in Logout Tokens, preferably at most two minutes in the future". */
const LOGOUT_TOKEN_TTL_SECONDS = 120;

export interface MintedToken {
  readonly token: string;
  readonly claims: Record<string, unknown>;
}

/** The key file: one ES256 private key, with the kid it is published under. */
interface KeyFile {
  readonly alg: 'ES256';
  readonly kid: string;
  readonly privateJwk: JWK;
}

const ALG = 'ES256';
/** Longest token the demo issuer mints: the authorizer's default JWT_MAX_TOKEN_LIFETIME_SECONDS. */
export const MAX_DEMO_TTL_SECONDS = 86_400;

/**
 * A token issuer for trying the stack: one ES256 key pair kept in a file under DATA_DIR (so tokens
 * stay valid across restarts), its public key as a JWKS, and RFC 9068 access tokens minted on
 * request. Never expose it beyond your machine: it signs whatever it is asked to.
 */
export class DemoIssuer {
  private constructor(
    readonly issuer: string,
    readonly audience: string,
    private readonly kid: string,
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
  ) {}

  /** Loads the key pair from `keyPath`, or creates and saves one (mode 0600) on first use. */
  static async open(options: { keyPath: string; issuer: string; audience: string }): Promise<DemoIssuer> {
    let keyFile: KeyFile;
    try {
      keyFile = JSON.parse(await readFile(options.keyPath, 'utf8')) as KeyFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`cannot read the demo issuer key ${options.keyPath}: ${(error as Error).message} (delete it to make a new one)`, {
          cause: error,
        });
      }
      keyFile = await createKeyFile(options.keyPath);
    }
    const privateKey = (await importJWK(keyFile.privateJwk, ALG)) as CryptoKey;
    const { d: _private, ...publicJwk } = keyFile.privateJwk;
    return new DemoIssuer(options.issuer, options.audience, keyFile.kid, privateKey, {
      ...publicJwk,
      kid: keyFile.kid,
      alg: ALG,
      use: 'sig',
    });
  }

  /** The JWKS document the authorizer fetches. */
  get jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  async mint(request: MintRequest): Promise<MintedToken> {
    const iat = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      sub: request.sub,
      aud: this.audience,
      iat,
      exp: iat + (request.ttlSeconds ?? 3600),
      jti: request.jti ?? randomUUID(),
      client_id: request.clientId ?? 'demo-client',
      ...(request.scope === undefined ? {} : { scope: request.scope }),
      ...(request.sid === undefined ? {} : { sid: request.sid }),
    };
    // RFC 9068 §2.1: access tokens carry typ at+jwt.
    const token = await new SignJWT(claims).setProtectedHeader({ alg: ALG, kid: this.kid, typ: 'at+jwt' }).sign(this.privateKey);
    return { token, claims };
  }

  /**
   * A logout token as an OP sends it to the receiver's back-channel logout endpoint (OIDC
   * Back-Channel Logout 1.0 §2.4, errata set 1): iss, aud (the demo audience, which the receiver
   * accepts by default), iat, exp two minutes ahead, jti, events, `sid` and/or `sub`; no nonce;
   * typed `logout+jwt` as §2.4 recommends.
   */
  async mintLogoutToken(request: LogoutRequest): Promise<MintedToken> {
    if (request.sub === undefined && request.sid === undefined) throw new RangeError('a logout token names sub, sid or both');
    const iat = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      ...(request.sub === undefined ? {} : { sub: request.sub }),
      aud: this.audience,
      iat,
      exp: iat + LOGOUT_TOKEN_TTL_SECONDS,
      jti: randomUUID(),
      ...(request.sid === undefined ? {} : { sid: request.sid }),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    };
    const token = await new SignJWT(claims).setProtectedHeader({ alg: ALG, kid: this.kid, typ: 'logout+jwt' }).sign(this.privateKey);
    return { token, claims };
  }
}

async function createKeyFile(path: string): Promise<KeyFile> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const keyFile: KeyFile = { alg: ALG, kid: await calculateJwkThumbprint(privateJwk), privateJwk };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(keyFile, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return keyFile;
}
