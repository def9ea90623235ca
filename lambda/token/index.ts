/**
 * Token verification: parse → strict JSON → keys → signature → claims → verifier (+ its cache).
 * The authorizer creates one KeyResolver per issuer and one TokenVerifier; the ingest reads whole
 * tokens with parseToken and names jti-less ones with tokenHash, as the verifier does.
 */
export { checkClaims, type CheckedClaims } from './claims.js';
export {
  DiscoveryError,
  discoverJwksUri,
  discoveryUrl,
  isAllowedKeyUrl,
  type DiscoveryKind,
  type DiscoveryProblemKind,
} from './discovery.js';
export { checkJwsHeader } from './header-check.js';
export { checkIssuerRules } from './issuer-rules.js';
export { KeyResolver } from './key-resolver.js';
export { parseToken, TokenParser, type ParsedJws, type ParsedToken } from './parse-token.js';
export { normalizeType, type IssuerConfig, type JwksSettings, type TokenRules, type VerifierSettings } from './settings.js';
export { signatureIds } from './signature-ids.js';
export { SignedJwtVerifier, type SignedJwt } from './signed-jwt-verifier.js';
export { keyMismatch, MIN_RSA_MODULUS_BITS, SignatureVerifier } from './signature.js';
export { parseJsonObject } from './strict-json.js';
export { tokenHash, TOKEN_HASH_PREFIX } from './token-hash.js';
export { TokenVerifier } from './verify-token.js';
export type { VerifiedToken } from './verified-token.js';
