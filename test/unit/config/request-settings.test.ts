import { describe, expect, it } from 'vitest';
import { loadAuthorizerConfig } from '../../../lambda/config/index.js';
import { ConfigurationError } from '../../../lambda/shared/index.js';

const ISSUER = { JWT_ISSUER: 'https://issuer.example.com/', JWT_AUDIENCE: 'api', JWKS_URI: 'https://issuer.example.com/keys' };
const COGNITO = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadAuthorizerConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadAuthorizerConfig: JWT_TOKEN_SOURCES, JWT_ROUTE_SCOPES, JWT_CONTEXT_CLAIMS', () => {
  it('defaults to the Authorization header, no route scopes and the default context', () => {
    expect(loadAuthorizerConfig(ISSUER).request).toEqual({
      tokenSources: [{ kind: 'header', name: 'authorization' }],
      routeScopes: {},
      context: { includeDefault: true, claims: [] },
    });
  });

  it('reads token sources in order, route scopes as lists or space-separated strings, and listed claims', () => {
    const { request } = loadAuthorizerConfig({
      ...ISSUER,
      JWT_TOKEN_SOURCES: 'query:access_token,header:authorization',
      JWT_ROUTE_SCOPES: JSON.stringify({ 'GET /admin/{proxy+}': ['admin'], $default: 'api.read api.write' }),
      JWT_CONTEXT_CLAIMS: 'email, groups cognito:groups',
    });
    expect(request).toEqual({
      tokenSources: [
        { kind: 'query', name: 'access_token' },
        { kind: 'header', name: 'authorization' },
      ],
      routeScopes: { 'GET /admin/{proxy+}': ['admin'], $default: ['api.read', 'api.write'] },
      context: { includeDefault: false, claims: ['email', 'groups', 'cognito:groups'] },
    });
  });

  it.each([
    ['JWT_ROUTE_SCOPES that is not JSON', { JWT_ROUTE_SCOPES: '{admin}' }, 'JWT_ROUTE_SCOPES must be a JSON object'],
    ['a route key API Gateway would not accept', { JWT_ROUTE_SCOPES: '{"/admin":["a"]}' }, '"/admin" is not a route key'],
    ['a scope holding a space', { JWT_ROUTE_SCOPES: '{"GET /a":["a b"]}' }, 'JWT_ROUTE_SCOPES["GET /a"] must be a list of scopes'],
    ['a route without scopes', { JWT_ROUTE_SCOPES: '{"GET /a":[]}' }, 'lists no scope'],
    ['an unknown token source', { JWT_TOKEN_SOURCES: 'body:token' }, 'JWT_TOKEN_SOURCES "body:token" is not header:NAME'],
    ['a claim listed twice', { JWT_CONTEXT_CLAIMS: 'email,email' }, 'JWT_CONTEXT_CLAIMS lists email twice'],
    ['a claim named __proto__', { JWT_CONTEXT_CLAIMS: '__proto__' }, 'cannot forward a claim named "__proto__"'],
  ])('refuses %s, naming the variable', (_, env, expected) => {
    expect(problemsOf({ ...ISSUER, ...env }).join('\n')).toContain(expected);
  });
});

describe('loadAuthorizerConfig: JWKS_URI and OIDC discovery', () => {
  it('leaves the key set URL to discovery when JWKS_URI is absent and the issuer is https', () => {
    const { issuers } = loadAuthorizerConfig({ JWT_ISSUER: 'https://issuer.example.com/', JWT_AUDIENCE: 'api' });
    expect(issuers[0]?.jwksUri).toBeUndefined();
  });

  it('lets a JWT_ISSUERS entry without jwksUri be discovered, and http only on loopback', () => {
    const { issuers } = loadAuthorizerConfig({
      JWT_ISSUERS: JSON.stringify([
        { issuer: 'https://a.example.com', audience: 'api' },
        { issuer: 'http://127.0.0.1:4000/realms/x', audience: 'api' },
      ]),
    });
    expect(issuers.map((issuer) => issuer.jwksUri)).toEqual([undefined, undefined]);
    expect(problemsOf({ JWT_ISSUERS: JSON.stringify([{ issuer: 'http://issuer.example.com', audience: 'api' }]) }).join('\n')).toContain(
      'JWT_ISSUERS[0].issuer "http://issuer.example.com" is not an https URL, so its key set cannot be found by OIDC discovery: set JWT_ISSUERS[0].jwksUri',
    );
  });

  it('asks for JWKS_URI when the issuer is no URL discovery could use', () => {
    expect(problemsOf({ JWT_ISSUER: 'issuer-name', JWT_AUDIENCE: 'api' })).toEqual([
      'JWT_ISSUER "issuer-name" is not an https URL, so its key set cannot be found by OIDC discovery: set JWKS_URI to the issuer key set URL (https://...)',
    ]);
  });
});

describe('loadAuthorizerConfig: JWT_PRESET=cognito', () => {
  it("requires token_use and client_id instead of aud, RS256 only, the pool's well-known key set, origin_jti as the session, cognito:groups in the context", () => {
    const config = loadAuthorizerConfig({ JWT_PRESET: 'cognito', JWT_ISSUER: COGNITO, JWT_AUDIENCE: 'client-a,client-b' });

    expect(config.preset).toBe('cognito');
    expect(config.rules.requiredClaims).toEqual(['iss', 'sub', 'exp', 'iat', 'jti']);
    expect(config.rules.typeRequired).toBe(false);
    expect(config.issuers).toEqual([
      {
        issuer: COGNITO,
        jwksUri: `${COGNITO}/.well-known/jwks.json`,
        audiences: ['client-a', 'client-b'],
        algorithms: ['RS256'],
        clientClaim: 'client_id',
        subjectClaim: 'sub',
        sessionClaim: 'origin_jti',
        tokenUse: 'access',
        audienceClaim: 'client_id',
      },
    ]);
    expect(config.request.context).toEqual({ includeDefault: true, claims: ['cognito:groups', 'username'] });
  });

  it('keeps an explicit JWT_SESSION_CLAIM over the preset', () => {
    const config = loadAuthorizerConfig({ JWT_PRESET: 'cognito', JWT_ISSUER: COGNITO, JWT_AUDIENCE: 'c', JWT_SESSION_CLAIM: 'sid' });
    expect(config.issuers[0]?.sessionClaim).toBe('sid');
  });

  it('keeps an explicit JWKS_URI (a local key set for tests of Cognito-shaped tokens)', () => {
    const config = loadAuthorizerConfig({
      JWT_PRESET: 'cognito',
      JWT_ISSUER: COGNITO,
      JWT_AUDIENCE: 'c',
      JWKS_URI: 'http://127.0.0.1:9/keys',
    });
    expect(config.issuers[0]?.jwksUri).toBe('http://127.0.0.1:9/keys');
  });

  it.each([
    [
      'an issuer that is not a user pool',
      { JWT_ISSUER: 'https://auth.example.com', JWT_AUDIENCE: 'c' },
      'JWT_PRESET=cognito expects the user pool',
    ],
    [
      'JWT_TYP_REQUIRED=true',
      { JWT_ISSUER: COGNITO, JWT_AUDIENCE: 'c', JWT_TYP_REQUIRED: 'true' },
      'Cognito access tokens carry no typ header',
    ],
    ['no app client ids', { JWT_ISSUER: COGNITO }, 'JWT_AUDIENCE must list the accepted app client ids'],
    ['an unknown preset', { JWT_ISSUER: COGNITO, JWT_AUDIENCE: 'c', JWT_PRESET: 'okta' }, 'JWT_PRESET must be one of cognito'],
  ])('refuses %s', (_, env, expected) => {
    expect(problemsOf({ JWT_PRESET: 'cognito', ...env }).join('\n')).toContain(expected);
  });
});
