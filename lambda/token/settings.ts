import type { Algorithm } from '../contract/index.js';
import type { DiscoveryKind } from './discovery.js';

/** One trusted token issuer and what its tokens must satisfy. */
export interface IssuerConfig {
  /** Compared to the `iss` claim exactly, byte for byte. */
  readonly issuer: string;
  /** The key set URL; undefined: found by OIDC discovery from the issuer (token/discovery.ts). */
  readonly jwksUri?: string | undefined;
  /** The metadata document discovery reads: `ssf` for a Shared Signals transmitter (the receiver's). @default openid */
  readonly discovery?: DiscoveryKind | undefined;
  /** A token passes when any of its `aud` values equals any of these. */
  readonly audiences: readonly string[];
  readonly algorithms: readonly Algorithm[];
  /** The claim naming the OAuth client, used for client revocation and the context. @default client_id */
  readonly clientClaim: string;
  /** The claim subject cut-offs match (WSO2 Identity Server: `entity_id`). @default sub */
  readonly subjectClaim: string;
  /** The `token_use` a token must carry (Cognito: `access`); undefined: not checked. @default undefined */
  readonly tokenUse?: string | undefined;
  /**
   * For a token without `aud`, the claim matched against `audiences` instead (Cognito access
   * tokens: `client_id`, as API Gateway's JWT authorizer does); undefined: such a token passes
   * the audience check only if `aud` is not required. @default undefined
   */
  readonly audienceClaim?: string | undefined;
  /** The claim session revocations match: the OpenID Connect session id (Cognito: `origin_jti`). @default sid */
  readonly sessionClaim: string;
}

/** Claim and structure rules shared by every issuer. */
export interface TokenRules {
  /** @default 60 */
  readonly clockToleranceSeconds: number;
  /** Upper bound on `exp - iat`; also bounds how long a subject or client cut-off is kept. @default 86400 */
  readonly maxTokenLifetimeSeconds: number;
  /** Upper bound on `now - iat`; undefined means only `exp` limits age. @default undefined */
  readonly maxTokenAgeSeconds: number | undefined;
  /** @default iss sub aud exp iat jti */
  readonly requiredClaims: readonly string[];
  /** Accepted `typ` header values, lowercased, without an `application/` prefix. @default at+jwt, jwt */
  readonly acceptedTypes: readonly string[];
  /** Whether a token without a `typ` header is refused. @default false */
  readonly typeRequired: boolean;
  /** Tokens longer than this are refused before any decoding. @default 8192 */
  readonly maxTokenBytes: number;
}

/** How issuers' key sets are fetched and kept. */
export interface JwksSettings {
  /** @default 5000 */
  readonly timeoutMs: number;
  /** Minimum time between refetches triggered by an unknown `kid`. @default 30000 */
  readonly cooldownMs: number;
  /** Age after which a held key set is refreshed in the background; it is kept if that fails. @default 600000 */
  readonly cacheMaxAgeMs: number;
  /** A key set body longer than this is refused unread past the limit; the keys held are kept. @default 1048576 */
  readonly maxBytes: number;
}

/** RFC 7515 §4.1.9: `typ` compares case-insensitively and may omit the `application/` prefix. */
export function normalizeType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** What the verifier reads of the authorizer's configuration. */
export interface VerifierSettings {
  readonly rules: TokenRules;
  /** Verified tokens remembered per instance so a repeated token skips signature work. 0 disables. @default 10000 */
  readonly tokenCacheMaxEntries: number;
}
