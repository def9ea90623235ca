import { TokenRejectedError } from '../shared/index.js';
import type { IssuerConfig } from './settings.js';

/**
 * The rules some issuers need beyond RFC 7519 and RFC 9068 (JWT_PRESET), after checkClaims passed:
 * - `tokenUse`: Cognito marks access tokens `token_use: access` and ID tokens `id`, and signs both
 *   with keys of one key set; an ID token is refused (`wrong_type`), as AWS asks an API accepting
 *   only access tokens to ("Verifying a JSON web token", step 3);
 * - `audienceClaim`: a token without `aud` must carry that claim with an accepted audience value
 *   (`wrong_audience` otherwise), the way API Gateway's JWT authorizer matches a Cognito access
 *   token's `client_id` against its audience list when `aud` is absent.
 */
export function checkIssuerRules(payload: Readonly<Record<string, unknown>>, issuer: IssuerConfig): void {
  const tokenUse = issuer.tokenUse;
  if (tokenUse !== undefined && payload.token_use !== tokenUse) {
    const actual = payload.token_use;
    throw new TokenRejectedError(
      'wrong_type',
      actual === 'id' ? `token_use is id: an ID token is not an access token` : `token_use must be ${tokenUse}`,
      { claim: 'token_use', actual: typeof actual === 'string' ? actual.slice(0, 40) : typeof actual, expected: tokenUse },
    );
  }
  const audienceClaim = issuer.audienceClaim;
  if (audienceClaim !== undefined && payload.aud === undefined) {
    const value = payload[audienceClaim];
    if (typeof value !== 'string' || !issuer.audiences.includes(value)) {
      throw new TokenRejectedError('wrong_audience', `no aud, and ${audienceClaim} is not an accepted audience`, {
        claim: audienceClaim,
        actual: typeof value === 'string' ? value.slice(0, 200) : typeof value,
        expected: issuer.audiences,
      });
    }
  }
}
