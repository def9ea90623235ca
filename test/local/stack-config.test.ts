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
    expect(problemsOf({ JWT_ISSUER: 'https://issuer.example.com/' })).toEqual([
      'JWKS_URI must be the issuer key set URL (https://...)',
      'JWT_AUDIENCE must list the accepted audience values',
    ]);
  });

  it("accepts the demo issuer with the defaults, and takes the sync interval from the authorizer's reading", () => {
    const config = loadLocalStackConfig({ REVOCATION_SYNC_INTERVAL_MS: '250' }, '/tmp');

    expect(config).toMatchObject({ issuerMode: 'demo', port: 3000, dataDir: '/tmp/.data', revocationSyncIntervalMs: 250 });
  });
});
