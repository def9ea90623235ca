/** The tokens of the decision-path bench, as the issuer process (issuer-process.ts) hands them over. */
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
