/**
 * The JWS algorithms the functions can verify: the CDK construct validates its `algorithms` props
 * against this list, the authorizer its `JWT_ALGORITHMS`, and token/signature.ts maps each one to
 * its hash (a `Record<Algorithm, …>`, so the compiler keeps the two in step).
 */

/** Asymmetric JWS algorithms this product can verify. Symmetric (HS*) and `none` never are. */
export const SUPPORTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export type Algorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** @default RS256, ES256, PS256, EdDSA */
export const DEFAULT_ALGORITHMS: readonly Algorithm[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];
