import { describe, expect, it } from 'vitest';
import { TokenRejectedError } from '../../../lambda/shared/index.js';
import { checkIssuerRules, type IssuerConfig } from '../../../lambda/token/index.js';

const COGNITO: IssuerConfig = {
  issuer: 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example',
  audiences: ['57cbishk4j24pabc1234567890'],
  algorithms: ['RS256'],
  clientClaim: 'client_id',
  subjectClaim: 'sub',
  sessionClaim: 'origin_jti',
  tokenUse: 'access',
  audienceClaim: 'client_id',
};

function reasonOf(payload: Record<string, unknown>, issuer: IssuerConfig = COGNITO): string | undefined {
  try {
    checkIssuerRules(payload, issuer);
    return undefined;
  } catch (error) {
    if (error instanceof TokenRejectedError) return error.reason;
    throw error;
  }
}

describe('checkIssuerRules', () => {
  it('passes a Cognito access token of an allowed client', () => {
    expect(reasonOf({ token_use: 'access', client_id: '57cbishk4j24pabc1234567890' })).toBeUndefined();
  });

  it('refuses an ID token, and a token without token_use, as the wrong type', () => {
    expect(reasonOf({ token_use: 'id', aud: '57cbishk4j24pabc1234567890' })).toBe('wrong_type');
    expect(reasonOf({ client_id: '57cbishk4j24pabc1234567890' })).toBe('wrong_type');
  });

  it('matches client_id against the audiences only when aud is absent, as the built-in JWT authorizer does', () => {
    expect(reasonOf({ token_use: 'access', client_id: 'other' })).toBe('wrong_audience');
    expect(reasonOf({ token_use: 'access' })).toBe('wrong_audience');
    // aud present: checkClaims has already matched it; client_id is not consulted.
    expect(reasonOf({ token_use: 'access', aud: '57cbishk4j24pabc1234567890', client_id: 'other' })).toBeUndefined();
  });

  it('checks nothing for an issuer without preset rules', () => {
    expect(reasonOf({}, { ...COGNITO, tokenUse: undefined, audienceClaim: undefined })).toBeUndefined();
  });
});
