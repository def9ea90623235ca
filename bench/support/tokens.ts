/** The tokens of the decision-path bench, as the issuer process (issuer-process.ts) hands them over. */
import { constants, type KeyObject, randomUUID, sign } from 'node:crypto';
import type { JWK } from 'jose';
import { httpApiV2Event } from '../../test/support/api-gateway-events.js';
import type { SigningAlgorithm } from '../../test/support/issuer.js';

/** The algorithms of the decision-path bench, in the order they are reported. */
export const BENCH_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const satisfies readonly SigningAlgorithm[];
export type BenchAlgorithm = (typeof BENCH_ALGORITHMS)[number];

/** What the issuer process writes: everything the measuring process needs, signed in advance. */
export interface SignedTokens {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string;
  readonly keys: readonly { readonly alg: BenchAlgorithm; readonly kid: string; readonly publicJwk: JWK }[];
  /** Distinct tokens per algorithm, never presented twice. */
  readonly fresh: Record<BenchAlgorithm, string[]>;
  /** A few tokens per algorithm, presented again and again. */
  readonly repeated: Record<BenchAlgorithm, string[]>;
  /** EdDSA tokens that fill the verified-token cache before anything is timed. */
  readonly cacheFill: string[];
}

/** What `@@READY` carries. */
export interface IssuerReady {
  readonly jwksUri: string;
  readonly tokensFile: string;
  readonly signingMs: number;
}

/** An HTTP API payload 2.0 authorizer event carrying `token`, as JSON text (what the Lambda runtime receives). */
export function eventJsonOf(token: string): string {
  return JSON.stringify(httpApiV2Event(`Bearer ${token}`));
}

/** A bench access token, signed with node:crypto: the signing input, its bytes and the signature. */
export interface BenchToken {
  readonly token: string;
  readonly data: Buffer;
  readonly signature: Buffer;
}

/**
 * Signs an access token shaped like Cognito's (UUID sub and jti, a client, scopes, `typ: at+jwt`),
 * the one shape every bench script uses, so their figures measure the same tokens.
 */
export function signBenchToken(
  alg: BenchAlgorithm,
  key: { readonly kid: string; readonly privateKey: KeyObject },
  claims: { readonly issuer: string; readonly audience: string; readonly nowSeconds: number },
): BenchToken {
  const header = { kid: key.kid, alg, typ: 'at+jwt' };
  const payload = {
    sub: randomUUID(),
    iss: claims.issuer,
    client_id: '1example23456789abcdefghij',
    aud: claims.audience,
    scope: 'openid profile orders/read orders/write',
    iat: claims.nowSeconds,
    nbf: claims.nowSeconds,
    exp: claims.nowSeconds + 3600,
    jti: randomUUID(),
    username: `user-${randomUUID().slice(0, 8)}`,
  };
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const data = Buffer.from(signingInput);
  const privateKey = key.privateKey;
  const signature =
    alg === 'EdDSA'
      ? sign(null, data, privateKey)
      : alg === 'ES256'
        ? sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
        : alg === 'PS256'
          ? sign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
          : sign('sha256', data, privateKey);
  return { token: `${signingInput}.${signature.toString('base64url')}`, data, signature };
}
