/**
 * JWT_PRESET: issuer families whose tokens need settings no generic default gives. The functions
 * apply a preset's values where a variable is unset (config/load-config.ts); the CDK construct
 * sets the preset and builds the issuer for its `cognito` prop from the same constants.
 */

/** Values of JWT_PRESET. */
export const PRESETS = ['cognito'] as const;
export type Preset = (typeof PRESETS)[number];

/**
 * Amazon Cognito user pool access tokens, as AWS documents them ("Understanding the access token",
 * Amazon Cognito developer guide): `iss` is `https://cognito-idp.<region>.amazonaws.com/<pool id>`,
 * RS256 only, no `typ` header, no `aud` but `client_id`, `token_use: access`, a `jti` and an
 * `origin_jti` shared by every token minted from one refresh token, `cognito:groups`, `username`.
 */
export const COGNITO_PRESET = {
  /**
   * JWT_REQUIRED_CLAIMS under the preset: the default without `aud`. `token_use` and, without
   * `aud`, `client_id` are the preset's own checks (token/issuer-rules.ts), so an ID token is
   * refused for what it is (`wrong_type`), not for a missing `client_id`.
   */
  requiredClaims: ['iss', 'sub', 'exp', 'iat', 'jti'],
  /** JWT_ALGORITHMS under the preset: user pools sign with RS256 ("Verifying a JSON web token"). */
  algorithms: ['RS256'],
  /** The only `token_use` accepted: ID tokens (`id`) are refused. */
  tokenUse: 'access',
  /** Cognito access tokens carry no `aud`: the audience list is matched against this claim, as API Gateway's JWT authorizer does. */
  audienceClaim: 'client_id',
  /** Added to the default authorizer context (JWT_CONTEXT_CLAIMS unset). */
  contextClaims: ['cognito:groups', 'username'],
  /** The key set, relative to the issuer ("Verifying a JSON web token", step 2). */
  jwksPath: '/.well-known/jwks.json',
  /**
   * JWT_SESSION_CLAIM under the preset: Cognito's RevokeToken invalidates every access token minted
   * from one refresh token, and they share `origin_jti` ("Revoking tokens", Amazon Cognito developer guide).
   */
  sessionClaim: 'origin_jti',
} as const;

/** `https://cognito-idp.<region>.amazonaws.com/<user pool id>`: the `iss` of a user pool's tokens. */
export const COGNITO_ISSUER = /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9-]+_[0-9A-Za-z]+$/;
