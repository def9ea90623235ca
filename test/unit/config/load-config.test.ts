import { describe, expect, it } from 'vitest';
import { loadAuthorizerConfig, loadIngestConfig } from '../../../lambda/config/index.js';
import { ConfigurationError } from '../../../lambda/shared/index.js';

const ISSUER = {
  JWT_ISSUER: 'https://issuer.example.com/',
  JWT_AUDIENCE: 'api-a, api-b',
  JWKS_URI: 'https://issuer.example.com/.well-known/jwks.json',
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadAuthorizerConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadAuthorizerConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadAuthorizerConfig(ISSUER);

    expect(config.issuers).toEqual([
      {
        issuer: 'https://issuer.example.com/',
        jwksUri: ISSUER.JWKS_URI,
        audiences: ['api-a', 'api-b'],
        algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
        clientClaim: 'client_id',
        subjectClaim: 'sub',
        sessionClaim: 'sid',
      },
    ]);
    expect(config.rules).toEqual({
      clockToleranceSeconds: 60,
      maxTokenLifetimeSeconds: 86_400,
      maxTokenAgeSeconds: undefined,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
      acceptedTypes: ['at+jwt', 'jwt'],
      typeRequired: false,
      maxTokenBytes: 8192,
    });
    expect(config.revocation).toEqual({
      tableName: 'revocations',
      syncIntervalMs: 1000,
      maxStalenessMs: 30_000,
      failMode: 'closed',
      consistency: 'eventual',
      feedMaxLagMs: 5000,
      scanSegments: 4,
      syncOverlapMs: 5000,
      fullSyncIntervalMs: 60_000,
      scanConcurrency: 4,
      scanPagesPerSecond: 0,
    });
    expect(config.jwks).toEqual({ timeoutMs: 5000, cooldownMs: 30_000, cacheMaxAgeMs: 600_000, maxBytes: 1_048_576 });
    expect(config.tokenCacheMaxEntries).toBe(10_000);
  });

  it('returns a frozen configuration', () => {
    const config = loadAuthorizerConfig(ISSUER);
    expect(Object.isFrozen(config.rules)).toBe(true);
    expect(Object.isFrozen(config.issuers[0]!.audiences)).toBe(true);
  });

  it('reads several issuers, each with its own keys, audience, algorithms and client claim', () => {
    const config = loadAuthorizerConfig({
      JWT_ISSUERS: JSON.stringify([
        { issuer: 'https://a.example.com', jwksUri: 'https://a.example.com/keys', audience: 'api' },
        {
          issuer: 'https://b.example.com',
          jwksUri: 'https://b.example.com/keys',
          audience: ['x', 'y'],
          algorithms: ['ES256'],
          clientClaim: 'azp',
        },
      ]),
    });
    expect(config.issuers.map((issuer) => [issuer.issuer, issuer.audiences, issuer.algorithms, issuer.clientClaim])).toEqual([
      ['https://a.example.com', ['api'], ['RS256', 'ES256', 'PS256', 'EdDSA'], 'client_id'],
      ['https://b.example.com', ['x', 'y'], ['ES256'], 'azp'],
    ]);
  });

  it('reads JWT_SUBJECT_CLAIM for every issuer, and a subjectClaim of its own per JWT_ISSUERS entry', () => {
    // Prepare
    const env = {
      JWT_SUBJECT_CLAIM: 'entity_id',
      JWT_CLIENT_CLAIM: 'azp',
      JWT_ISSUERS: JSON.stringify([
        { issuer: 'https://is.example.com/oauth2/token', jwksUri: 'https://is.example.com/oauth2/jwks', audience: 'api' },
        { issuer: 'https://b.example.com', jwksUri: 'https://b.example.com/keys', audience: 'api', subjectClaim: 'sub' },
      ]),
    };

    // Act
    const config = loadAuthorizerConfig(env);

    // Assess
    expect(config.issuers.map((issuer) => [issuer.subjectClaim, issuer.clientClaim])).toEqual([
      ['entity_id', 'azp'],
      ['sub', 'azp'],
    ]);
  });

  it('reads JWT_SESSION_CLAIM for every issuer, and a sessionClaim of its own per JWT_ISSUERS entry', () => {
    // Prepare
    const env = {
      JWT_SESSION_CLAIM: 'origin_jti',
      JWT_ISSUERS: JSON.stringify([
        { issuer: 'https://cognito-idp.example.com/pool', jwksUri: 'https://cognito-idp.example.com/pool/jwks', audience: 'api' },
        { issuer: 'https://kc.example.com/realms/a', jwksUri: 'https://kc.example.com/keys', audience: 'api', sessionClaim: 'sid' },
      ]),
    };

    // Act
    const config = loadAuthorizerConfig(env);

    // Assess
    expect(config.issuers.map((issuer) => issuer.sessionClaim)).toEqual(['origin_jti', 'sid']);
    expect(loadAuthorizerConfig({ ...ISSUER, JWT_SESSION_CLAIM: 'sess' }).issuers[0]!.sessionClaim).toBe('sess');
  });

  it('names a JWT_ISSUERS entry whose sessionClaim is not a claim name', () => {
    const env = {
      JWT_ISSUERS: JSON.stringify([
        { issuer: 'https://a.example.com', jwksUri: 'https://a.example.com/keys', audience: 'api', sessionClaim: '' },
      ]),
    };
    expect(() => loadAuthorizerConfig(env)).toThrow(/JWT_ISSUERS\[0\]\.sessionClaim must be a claim name/);
  });

  it('names a JWT_ISSUERS entry whose subjectClaim is not a claim name', () => {
    const env = {
      JWT_ISSUERS: JSON.stringify([
        { issuer: 'https://a.example.com', jwksUri: 'https://a.example.com/keys', audience: 'api', subjectClaim: 7 },
      ]),
    };
    expect(() => loadAuthorizerConfig(env)).toThrow(/JWT_ISSUERS\[0\]\.subjectClaim must be a claim name/);
  });

  it('normalizes accepted typ values as RFC 7515 compares them', () => {
    const config = loadAuthorizerConfig({ ...ISSUER, JWT_TYP: 'application/AT+JWT, JWT' });
    expect(config.rules.acceptedTypes).toEqual(['at+jwt', 'jwt']);
  });

  it('throws when no issuer is configured, naming the variable', () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/^JWT_ISSUER must name the trusted token issuer/)]);
  });

  it('throws when the trusted issuer is "*", the mark of revocations for every issuer', () => {
    expect(problemsOf({ ...ISSUER, JWT_ISSUER: '*' })).toEqual([expect.stringContaining('JWT_ISSUER "*" is reserved')]);
  });

  it('throws when a trusted issuer is one no revocation could name (too long for the table key, or with a control character)', () => {
    // 500 slashes: 509 bytes, but 1,515 once %-encoded for the table key (at most 1,015).
    const tooLongEncoded = 'https://i' + '/'.repeat(500);
    const withControl = 'https://issuer.example.com/\u0085';

    expect(problemsOf({ ...ISSUER, JWT_ISSUER: tooLongEncoded })).toEqual([
      expect.stringMatching(/^JWT_ISSUER is 1515 bytes once %-encoded/),
    ]);
    expect(
      problemsOf({
        ...ISSUER,
        JWT_ISSUER: undefined!,
        JWT_ISSUERS: JSON.stringify([{ issuer: withControl, jwksUri: ISSUER.JWKS_URI, audience: 'a' }]),
      }),
    ).toEqual([expect.stringMatching(/^JWT_ISSUERS\[0\]\.issuer must not contain control characters/)]);
    expect(loadAuthorizerConfig({ ...ISSUER, JWT_ISSUER: 'https://i' + '/'.repeat(330) }).issuers).toHaveLength(1);
  });

  it('throws when both JWT_ISSUERS and JWT_ISSUER are set', () => {
    expect(problemsOf({ ...ISSUER, JWT_ISSUERS: '[]' })).toEqual([expect.stringContaining('either JWT_ISSUERS')]);
  });

  it('reports every problem at once, each naming its variable', () => {
    const problems = problemsOf({
      JWT_ISSUER: 'https://issuer.example.com/',
      JWKS_URI: 'http://issuer.example.com/keys',
      JWT_ALGORITHMS: 'RS256,HS256,none',
      REVOCATION_SYNC_INTERVAL_MS: '1s',
      REVOCATION_FAIL_MODE: 'sometimes',
      JWT_TYP_REQUIRED: 'yes',
      JWT_MAX_TOKEN_BYTES: '10',
    });

    expect(problems).toEqual(
      expect.arrayContaining([
        'JWT_ALGORITHMS must list algorithms from RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519; not allowed: HS256, none',
        'JWKS_URI must use https (plain http is allowed only on localhost), got "http://issuer.example.com/keys"',
        'JWT_AUDIENCE must list the accepted audience values',
        'REVOCATION_SYNC_INTERVAL_MS must be a whole number of milliseconds (at least 0), got "1s"',
        'REVOCATION_FAIL_MODE must be one of closed, open, got "sometimes"',
        'JWT_TYP_REQUIRED must be true or false, got "yes"',
        'JWT_MAX_TOKEN_BYTES must be a whole number of bytes (256 to 261120), got "10"',
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('allows plain http for a JWKS on loopback only', () => {
    expect(() => loadAuthorizerConfig({ ...ISSUER, JWKS_URI: 'http://127.0.0.1:3000/_local/jwks.json' })).not.toThrow();
    expect(() => loadAuthorizerConfig({ ...ISSUER, JWKS_URI: 'http://localhost:3000/jwks' })).not.toThrow();
    expect(problemsOf({ ...ISSUER, JWKS_URI: 'ftp://127.0.0.1/jwks' })).toHaveLength(1);
  });

  it('reads the full-sync interval and the cold-start scan budget, and names each when out of range', () => {
    const config = loadAuthorizerConfig({
      ...ISSUER,
      REVOCATION_FULL_SYNC_INTERVAL_MS: '120000',
      REVOCATION_SCAN_CONCURRENCY: '2',
      REVOCATION_SCAN_PAGES_PER_SECOND: '10',
    });

    expect(config.revocation).toMatchObject({ fullSyncIntervalMs: 120_000, scanConcurrency: 2, scanPagesPerSecond: 10 });
    expect(
      problemsOf({
        ...ISSUER,
        REVOCATION_FULL_SYNC_INTERVAL_MS: '10',
        REVOCATION_SCAN_CONCURRENCY: '0',
        REVOCATION_SCAN_PAGES_PER_SECOND: '-1',
      }),
    ).toEqual([
      'REVOCATION_FULL_SYNC_INTERVAL_MS must be a whole number of milliseconds (at least 1000), got "10"',
      'REVOCATION_SCAN_CONCURRENCY must be a whole number of segments (1 to 1000), got "0"',
      'REVOCATION_SCAN_PAGES_PER_SECOND must be a whole number of pages per second (0 to 100000), got "-1"',
    ]);
  });

  it('reads how old a change feed may be and still be followed: 5 s by default, 0 never, under the staleness bound', () => {
    expect(loadAuthorizerConfig(ISSUER).revocation.feedMaxLagMs).toBe(5000);
    expect(loadAuthorizerConfig({ ...ISSUER, REVOCATION_MAX_STALENESS_MS: '4000' }).revocation.feedMaxLagMs).toBe(2000);
    expect(loadAuthorizerConfig({ ...ISSUER, REVOCATION_FEED_MAX_LAG_MS: '0' }).revocation.feedMaxLagMs).toBe(0);
    expect(problemsOf({ ...ISSUER, REVOCATION_FEED_MAX_LAG_MS: '5s' })).toEqual([
      'REVOCATION_FEED_MAX_LAG_MS must be a whole number of milliseconds (at least 0), got "5s"',
    ]);
    expect(problemsOf({ ...ISSUER, REVOCATION_FEED_MAX_LAG_MS: '30000' })).toEqual([
      expect.stringContaining('REVOCATION_FEED_MAX_LAG_MS (30000) must be less than REVOCATION_MAX_STALENESS_MS (30000)'),
    ]);
  });

  it('throws when the staleness bound does not exceed the sync interval', () => {
    expect(problemsOf({ ...ISSUER, REVOCATION_SYNC_INTERVAL_MS: '5000', REVOCATION_MAX_STALENESS_MS: '5000' })).toEqual([
      expect.stringContaining('REVOCATION_MAX_STALENESS_MS (5000) must be greater than REVOCATION_SYNC_INTERVAL_MS (5000)'),
    ]);
  });

  it.each([
    ['invalid JSON', '[{'],
    ['an empty array', '[]'],
    ['an entry without audience', JSON.stringify([{ issuer: 'https://a.example.com', jwksUri: 'https://a.example.com/k' }])],
    [
      'an issuer listed twice',
      JSON.stringify([
        { issuer: 'https://a.example.com', jwksUri: 'https://a.example.com/k', audience: 'x' },
        { issuer: 'https://a.example.com', jwksUri: 'https://a.example.com/k', audience: 'y' },
      ]),
    ],
    [
      'an unsupported algorithm',
      JSON.stringify([{ issuer: 'https://a.example.com', jwksUri: 'https://a.example.com/k', audience: 'x', algorithms: ['HS256'] }]),
    ],
  ])('throws when JWT_ISSUERS holds %s', (_, value) => {
    expect(problemsOf({ JWT_ISSUERS: value })).toEqual([expect.stringContaining('JWT_ISSUERS')]);
  });
});

describe('loadIngestConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadIngestConfig({})).toEqual({
      tableName: 'revocations',
      clockToleranceSeconds: 60,
      maxTokenLifetimeSeconds: 86_400,
      writeConcurrency: 32,
      raiseChangeHead: true,
    });
  });

  it('turns the change head raise off with INGEST_RAISE_CHANGE_HEAD=false', () => {
    expect(loadIngestConfig({ INGEST_RAISE_CHANGE_HEAD: 'false' }).raiseChangeHead).toBe(false);
    expect(loadIngestConfig({ INGEST_RAISE_CHANGE_HEAD: 'TRUE' }).raiseChangeHead).toBe(true);
    expect(loadIngestConfig({ INGEST_RAISE_CHANGE_HEAD: 'auto' }).raiseChangeHead).toBe('auto');
  });

  it('throws when INGEST_RAISE_CHANGE_HEAD is neither true, false nor auto, naming the variable', () => {
    expect(() => loadIngestConfig({ INGEST_RAISE_CHANGE_HEAD: 'off' })).toThrow(
      'INGEST_RAISE_CHANGE_HEAD must be true, false or auto, got "off"',
    );
  });

  it('throws when a number is malformed, naming the variable', () => {
    expect(() => loadIngestConfig({ INGEST_WRITE_CONCURRENCY: '0' })).toThrow(
      'INGEST_WRITE_CONCURRENCY must be a whole number of writes (1 to 1000), got "0"',
    );
  });
});
