import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../lambda/shared/index.js';
import { loadLocalStackConfig } from '../../local/stack-config.js';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadLocalStackConfig(env, '/tmp');
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadLocalStackConfig', () => {
  it("reports the stack's and both functions' problems at once, each once", () => {
    const problems = problemsOf({
      PORT: 'x',
      REVOCATION_SYNC_INTERVAL_MS: '1s',
      JWT_CLOCK_TOLERANCE_SECONDS: 'abc',
      REVOCATION_FAIL_MODE: 'maybe',
      INGEST_WRITE_CONCURRENCY: '0',
    });

    expect(problems).toEqual([
      'PORT must be a whole number of a TCP port (0 to 65535), got "x"',
      'JWT_CLOCK_TOLERANCE_SECONDS must be a whole number of seconds (0 to 3600), got "abc"',
      'REVOCATION_SYNC_INTERVAL_MS must be a whole number of milliseconds (at least 0), got "1s"',
      'REVOCATION_FAIL_MODE must be one of closed, open, got "maybe"',
      'INGEST_WRITE_CONCURRENCY must be a whole number of writes (1 to 1000), got "0"',
    ]);
  });

  it("checks an external issuer's variables before anything starts", () => {
    // JWKS_URI may be left out: an https issuer's key set is found by OIDC discovery.
    expect(problemsOf({ JWT_ISSUER: 'https://issuer.example.com/' })).toEqual(['JWT_AUDIENCE must list the accepted audience values']);
    expect(problemsOf({ JWT_ISSUER: 'issuer-name', JWT_AUDIENCE: 'api' })).toEqual([
      'JWT_ISSUER "issuer-name" is not an https URL, so its key set cannot be found by OIDC discovery: set JWKS_URI to the issuer key set URL (https://...)',
    ]);
  });

  it('reads LOCAL_API and the routes: LOCAL_ROUTES, else the JWT_ROUTE_SCOPES keys and $default', () => {
    const explicit = loadLocalStackConfig({ LOCAL_API: 'rest-request', LOCAL_ROUTES: 'GET /orders/{id}, ANY /admin/{proxy+}' }, '/tmp');
    const fromScopes = loadLocalStackConfig({ JWT_ROUTE_SCOPES: '{"GET /admin/{proxy+}":["admin"]}' }, '/tmp');

    expect(explicit.api).toBe('rest-request');
    expect(explicit.routes.keys).toEqual(['GET /orders/{id}', 'ANY /admin/{proxy+}']);
    expect(fromScopes).toMatchObject({ api: 'http-v2' });
    expect(fromScopes.routes.keys).toEqual(['$default', 'GET /admin/{proxy+}']);
  });

  it('refuses an unknown LOCAL_API and a route key API Gateway would not accept, with the other problems', () => {
    expect(problemsOf({ LOCAL_API: 'grpc', LOCAL_ROUTES: 'GET /a,/b' })).toEqual([
      'LOCAL_API must be one of http-v2, http-v1, rest-token, rest-request, got "grpc"',
      'LOCAL_ROUTES: "/b" is not a route key: use METHOD /path, $default or $connect',
    ]);
  });

  it("accepts the demo issuer with the defaults, and takes the sync interval from the authorizer's reading", () => {
    const config = loadLocalStackConfig({ REVOCATION_SYNC_INTERVAL_MS: '250' }, '/tmp');

    expect(config).toMatchObject({ issuerMode: 'demo', port: 3000, dataDir: '/tmp/.data', revocationSyncIntervalMs: 250 });
  });

  it('leaves the change feed off unless LOCAL_CHANGE_FEED is set, and then reads FEED_INTERVAL_MS and the sync overlap', () => {
    expect(loadLocalStackConfig({ FEED_INTERVAL_MS: '5' }, '/tmp').changeFeed).toBeUndefined();

    const config = loadLocalStackConfig({ LOCAL_CHANGE_FEED: '1', FEED_INTERVAL_MS: '250', REVOCATION_SYNC_OVERLAP_MS: '7000' }, '/tmp');

    expect(config.changeFeed).toEqual({ tableName: 'revocations', syncOverlapMs: 7000, intervalMs: 250 });
  });

  it('refuses a FEED_INTERVAL_MS out of bounds, and a LOCAL_CHANGE_FEED that is not a boolean, with the other problems', () => {
    expect(problemsOf({ LOCAL_CHANGE_FEED: 'true', FEED_INTERVAL_MS: '99' })).toEqual([
      'FEED_INTERVAL_MS must be a whole number of milliseconds (100 to 60000), got "99"',
    ]);
    expect(problemsOf({ LOCAL_CHANGE_FEED: 'yes' })).toEqual(['LOCAL_CHANGE_FEED must be true or false, got "yes"']);
  });
});
