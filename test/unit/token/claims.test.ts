import { describe, expect, it } from 'vitest';
import { TokenRejectedError, type RejectionReason } from '../../../lambda/shared/index.js';
import { checkClaims, type IssuerConfig, type TokenRules } from '../../../lambda/token/index.js';

const NOW = 1_800_000_000;
const issuer: IssuerConfig = {
  issuer: 'https://issuer.example.com/',
  jwksUri: 'https://issuer.example.com/jwks.json',
  audiences: ['api-a', 'api-b'],
  algorithms: ['RS256'],
  clientClaim: 'client_id',
  subjectClaim: 'sub',
  sessionClaim: 'sid',
};
const rules: TokenRules = {
  clockToleranceSeconds: 60,
  maxTokenLifetimeSeconds: 3600,
  maxTokenAgeSeconds: undefined,
  requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
  acceptedTypes: ['at+jwt', 'jwt'],
  typeRequired: false,
  maxTokenBytes: 8192,
};
const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: issuer.issuer,
  sub: 'alice',
  aud: 'api-a',
  iat: NOW - 10,
  exp: NOW + 600,
  jti: 'token-1',
  client_id: 'app-7',
  ...overrides,
});

function rejection(payload: Record<string, unknown>, at: TokenRules = rules, now = NOW): TokenRejectedError {
  try {
    checkClaims(payload, issuer, at, now);
  } catch (error) {
    if (error instanceof TokenRejectedError) return error;
    throw error;
  }
  throw new Error('expected the claims to be refused');
}

describe('checkClaims', () => {
  it('returns the typed claims and how long the token may be accepted without checking again', () => {
    expect(checkClaims(claims({ scope: 'read write' }), issuer, rules, NOW)).toEqual({
      sub: 'alice',
      subject: 'alice',
      jti: 'token-1',
      clientId: 'app-7',
      sessionId: undefined,
      issuedAtEpochSeconds: NOW - 10,
      expiresAtEpochSeconds: NOW + 600,
      scope: 'read write',
      acceptableUntilEpochSeconds: NOW + 600 + 60,
    });
  });

  it('reads the subject cut-offs match from JWT_SUBJECT_CLAIM and keeps sub as the principal (WSO2: entity_id)', () => {
    // Prepare: a WSO2 Identity Server user token via an application.
    const wso2 = { ...issuer, subjectClaim: 'entity_id', clientClaim: 'azp' };
    const payload = claims({ sub: 'alice@carbon.super', entity_id: '8b4c6d0e-user', azp: 'Hx1TfCpW', client_id: undefined });

    // Act
    const checked = checkClaims(payload, wso2, rules, NOW);

    // Assess
    expect({ sub: checked.sub, subject: checked.subject, clientId: checked.clientId }).toEqual({
      sub: 'alice@carbon.super',
      subject: '8b4c6d0e-user',
      clientId: 'Hx1TfCpW',
    });
  });

  it('leaves the subject undefined when the token lacks the subject claim, and refuses one that is not a string', () => {
    const wso2 = { ...issuer, subjectClaim: 'entity_id' };
    expect(checkClaims(claims(), wso2, rules, NOW).subject).toBeUndefined();
    expect(() => checkClaims(claims({ entity_id: 42 }), wso2, rules, NOW)).toThrow(
      expect.objectContaining({ reason: 'invalid_claim', failedAssertion: { claim: 'entity_id' } }),
    );
  });

  it.each<[string, Record<string, unknown>, RejectionReason, string | undefined]>([
    ['a missing required claim', { jti: undefined }, 'missing_claim', 'jti'],
    ['a null required claim', { sub: null }, 'missing_claim', 'sub'],
    // RFC 7519 §2: a NumericDate is a JSON number.
    ['exp as a string', { exp: String(NOW + 600) }, 'invalid_claim', 'exp'],
    ['a negative iat', { iat: -1 }, 'invalid_claim', 'iat'],
    ['exp at now minus the tolerance', { exp: NOW - 60 }, 'expired', 'exp'],
    ['nbf beyond the tolerance', { nbf: NOW + 61 }, 'not_yet_valid', 'nbf'],
    ['iat beyond the tolerance', { iat: NOW + 61 }, 'issued_in_future', 'iat'],
    ['a lifetime over the maximum', { iat: NOW - 10, exp: NOW - 10 + 3601 }, 'lifetime_too_long', 'exp'],
    ['no accepted audience', { aud: ['other'] }, 'wrong_audience', 'aud'],
    ['an audience of another type', { aud: 7 }, 'invalid_claim', 'aud'],
    ['an audience array with a number', { aud: ['api-a', 7] }, 'invalid_claim', 'aud'],
    ['an empty sub', { sub: '' }, 'invalid_claim', 'sub'],
    ['a client claim that is not a string', { client_id: 7 }, 'invalid_claim', 'client_id'],
    // A session claim the token carries must be one a session revocation can name.
    ['a session claim that is not a string', { sid: ['s1'] }, 'invalid_claim', 'sid'],
    ['an empty session claim', { sid: '' }, 'invalid_claim', 'sid'],
  ])('refuses %s', (_name, overrides, reason, claim) => {
    const error = rejection(claims(overrides));

    expect({ reason: error.reason, claim: error.failedAssertion?.claim }).toEqual({ reason, claim });
  });

  it('accepts exp, nbf and iat within the clock tolerance', () => {
    expect(() => checkClaims(claims({ exp: NOW - 59, nbf: NOW + 60, iat: NOW + 60 }), issuer, rules, NOW)).not.toThrow();
  });

  it('accepts any one accepted audience among several', () => {
    expect(() => checkClaims(claims({ aud: ['other', 'api-b'] }), issuer, rules, NOW)).not.toThrow();
  });

  it('requires exp even when the operator removed it from the required claims', () => {
    const error = rejection(claims({ exp: undefined }), { ...rules, requiredClaims: ['iss'] });

    expect(error.reason).toBe('missing_claim');
  });

  it('bounds a token with a maximum age by the age limit, and refuses it past that', () => {
    const aged = { ...rules, maxTokenAgeSeconds: 300 };

    expect(checkClaims(claims(), issuer, aged, NOW).acceptableUntilEpochSeconds).toBe(NOW - 10 + 300 + 60);
    expect(rejection(claims({ iat: NOW - 361 }), aged).reason).toBe('too_old');
  });

  it('refuses a token without iat that would outlive the maximum lifetime (its cut-offs would be gone)', () => {
    const noIat = { ...rules, requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'] };

    expect(rejection(claims({ iat: undefined, exp: NOW + 3661 }), noIat).reason).toBe('lifetime_too_long');
    expect(checkClaims(claims({ iat: undefined, exp: NOW + 3660 }), issuer, noIat, NOW).issuedAtEpochSeconds).toBeUndefined();
  });

  it('reads the scope from scope, or from an scp array or string', () => {
    expect(checkClaims(claims({ scp: ['a', 'b'] }), issuer, rules, NOW).scope).toBe('a b');
    expect(checkClaims(claims({ scp: 'c' }), issuer, rules, NOW).scope).toBe('c');
    expect(checkClaims(claims({ scope: 'd', scp: ['e'] }), issuer, rules, NOW).scope).toBe('d');
    expect(checkClaims(claims(), issuer, rules, NOW).scope).toBeUndefined();
  });

  it('reads the session from the issuer’s session claim: sid by default, origin_jti for Cognito; none without the claim', () => {
    // Cognito access tokens carry origin_jti, the same for every token refreshed from one sign-in.
    const cognito = { ...issuer, sessionClaim: 'origin_jti' };
    const payload = claims({ sid: 'oidc-session', origin_jti: '3b9a7a63-4a3e-4c5b-9d1e-cognito' });

    expect(checkClaims(payload, issuer, rules, NOW).sessionId).toBe('oidc-session');
    expect(checkClaims(payload, cognito, rules, NOW).sessionId).toBe('3b9a7a63-4a3e-4c5b-9d1e-cognito');
    expect(checkClaims(claims(), issuer, rules, NOW).sessionId).toBeUndefined();
  });

  it('reads the client from the issuer’s client claim', () => {
    const azp = { ...issuer, clientClaim: 'azp' };

    expect(checkClaims(claims({ azp: 'spa' }), azp, rules, NOW).clientId).toBe('spa');
  });
});
