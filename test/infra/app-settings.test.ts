import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AppSettingsError, PLACEHOLDER_ISSUER, readAppSettings } from '../../infra/app-settings.js';

const ISSUER = { issuer: 'https://login.acme.test/', jwksUri: 'https://login.acme.test/keys', audience: 'orders-api' };
const directory = mkdtempSync(join(tmpdir(), 'revocation-authorizer-settings-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Settings read with these context values, relative to the temporary directory. */
const read = (context: Record<string, unknown>) => readAppSettings((key) => context[key], directory);
const errorOf = (context: Record<string, unknown>): string => {
  try {
    read(context);
  } catch (error) {
    if (error instanceof AppSettingsError) return error.message;
    throw error;
  }
  throw new Error('expected AppSettingsError');
};
function configFile(name: string, values: unknown): string {
  writeFileSync(join(directory, name), JSON.stringify(values));
  return name;
}

describe('readAppSettings', () => {
  afterEach(() => {
    delete process.env.JWT_ISSUER;
    delete process.env.REVOCATION_FAIL_MODE;
  });

  it('throws when no issuer is configured, telling how to configure one or opt into the placeholder', () => {
    expect(errorOf({})).toMatch(/no issuer configured.*-c config=.*allowPlaceholderIssuer=true/s);
  });

  it('uses the placeholder issuer only with allowPlaceholderIssuer, and says so', () => {
    const settings = read({ allowPlaceholderIssuer: 'true' });
    expect(settings.placeholderIssuer).toBe(true);
    expect(settings.authorizer.issuers).toEqual([PLACEHOLDER_ISSUER]);
  });

  it('throws when the committed example file is deployed as it is, trusting the placeholder', () => {
    expect(errorOf({ config: join(process.cwd(), 'infra/environments/example.json') })).toMatch(/learning placeholder/);
  });

  it('reads the committed example file with allowPlaceholderIssuer, production concurrency included', () => {
    const settings = read({ config: join(process.cwd(), 'infra/environments/example.json'), allowPlaceholderIssuer: 'true' });
    expect(settings.authorizer).toMatchObject({ reservedConcurrentExecutions: 100, ingestReservedConcurrentExecutions: 5 });
  });

  it('reads an environment file, typed values included', () => {
    const config = configFile('production.json', {
      issuers: [ISSUER],
      syncIntervalMs: 2000,
      failMode: 'closed',
      alarmEmail: 'ops@acme.test',
    });
    const settings = read({ config });
    expect(settings.authorizer.issuers).toEqual([ISSUER]);
    expect(settings.authorizer.syncInterval?.toMilliseconds()).toBe(2000);
    expect(settings.alarmEmail).toBe('ops@acme.test');
  });

  it('reads the WSO2 recipe: subjectClaim entity_id and clientClaim azp', () => {
    const config = configFile('wso2.json', { ...ISSUER, subjectClaim: 'entity_id', clientClaim: 'azp' });
    expect(read({ config }).authorizer).toMatchObject({ subjectClaim: 'entity_id', clientClaim: 'azp' });
  });

  it('reads sessionClaim, the claim session revocations match (Cognito: origin_jti)', () => {
    const config = configFile('cognito.json', { ...ISSUER, sessionClaim: 'origin_jti' });
    expect(read({ config }).authorizer).toMatchObject({ sessionClaim: 'origin_jti' });
  });

  it('lets a context value override the file', () => {
    const config = configFile('override.json', { ...ISSUER, failMode: 'closed' });
    expect(read({ config, failMode: 'open' }).authorizer.failMode).toBe('open');
  });

  it('reads one issuer from issuer, jwksUri and a comma-separated audience', () => {
    const settings = read({ issuer: ISSUER.issuer, jwksUri: ISSUER.jwksUri, audience: 'a, b' });
    expect(settings.authorizer.issuers).toEqual([{ ...ISSUER, audience: ['a', 'b'] }]);
  });

  it('never reads the shell: a leftover JWT_ISSUER or REVOCATION_FAIL_MODE changes nothing', () => {
    process.env.JWT_ISSUER = 'http://localhost:3000/demo';
    process.env.REVOCATION_FAIL_MODE = 'open';
    expect(errorOf({})).toMatch(/no issuer configured/);
    expect(read({ ...ISSUER }).authorizer.failMode).toBeUndefined();
  });

  it('throws when a file holds an unknown setting, naming it', () => {
    const config = configFile('typo.json', { ...ISSUER, isuer: 'x' });
    expect(errorOf({ config })).toMatch(/typo\.json: unknown setting "isuer"/);
  });

  it('throws when a number is not a whole number, naming the setting and where it came from', () => {
    expect(errorOf({ ...ISSUER, syncIntervalMs: '1s' })).toBe('-c syncIntervalMs must be a whole number of milliseconds, got "1s"');
  });

  it('throws when issuers is not JSON', () => {
    expect(errorOf({ issuers: '[{issuer:' })).toMatch(/^-c issuers must be a JSON list/);
  });

  it('throws when the config file is missing', () => {
    expect(errorOf({ config: 'nowhere.json' })).toMatch(/-c config=nowhere\.json: no such file/);
  });

  it('throws when an issuer comes without its key set URL', () => {
    expect(errorOf({ issuer: ISSUER.issuer, audience: 'a' })).toMatch(/needs "jwksUri"/);
  });
});
