import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANY_ISSUER, RevocationStore } from '../lambda/revocation/index.js';
import { httpApiV2Event, restTokenEvent } from './support/api-gateway-events.js';
import { BundleProcess } from './support/bundle-process.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { TestIssuer } from './support/issuer.js';
import { createRevocationTable } from '../local/table-admin.js';

const TABLE = 'revocations';
const SYNC_INTERVAL_MS = 300;

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let store: RevocationStore;
const processes: BundleProcess[] = [];

beforeAll(async () => {
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
  store = new RevocationStore(dynamo.client, TABLE);
  await createRevocationTable(dynamo.client, TABLE);
});
afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await Promise.all([dynamo.stop(), issuer.stop()]);
});

function startAuthorizer(env: Record<string, string> = {}): BundleProcess {
  const child = new BundleProcess('authorizer', {
    ...dynamo.env,
    ...issuer.env,
    REVOCATION_TABLE_NAME: TABLE,
    REVOCATION_SYNC_INTERVAL_MS: String(SYNC_INTERVAL_MS),
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...env,
  });
  processes.push(child);
  return child;
}

const exp = () => Math.floor(Date.now() / 1000) + 3600;

describe('dist/authorizer.mjs, run as built in a fresh Node process', () => {
  it('allows a valid token and passes its claims as context', async () => {
    const authorizer = startAuthorizer();
    const token = await issuer.token({ sub: 'alice', jti: 'bundle-ok' });

    const invocation = await authorizer.invoke(httpApiV2Event(`Bearer ${token}`));

    expect(invocation).toMatchObject({
      ok: true,
      result: { isAuthorized: true, context: { sub: 'alice', jti: 'bundle-ok', iss: issuer.issuer } },
    });
  });

  it('denies a token revoked before the cold start, on the first request, and logs the reason without the token', async () => {
    await store.applyRevocations([{ kind: 'jti', issuer: issuer.issuer, jti: 'revoked-before', expiresAtEpochSeconds: exp() }]);
    const authorizer = startAuthorizer();
    const token = await issuer.token({ jti: 'revoked-before' });

    const invocation = await authorizer.invoke(httpApiV2Event(`Bearer ${token}`));

    expect(invocation).toMatchObject({ ok: true, result: { isAuthorized: false, context: { reason: 'revoked_jti' } } });
    const deny = authorizer.logLines().find((line) => line.message === 'deny');
    expect(deny).toMatchObject({ level: 'INFO', reason: 'revoked_jti', jti: 'revoked-before', service: 'revocation-authorizer' });
    expect(authorizer.output).not.toContain(token);
  });

  it('enforces a revocation written while warm within the sync interval', async () => {
    const authorizer = startAuthorizer();
    const token = await issuer.token({ sub: 'warm-user' });
    expect(await authorizer.invoke(httpApiV2Event(`Bearer ${token}`))).toMatchObject({ result: { isAuthorized: true } });

    const revokedAtMs = Date.now();
    await store.applyRevocations([
      { kind: 'subject', issuer: ANY_ISSUER, id: 'warm-user', revokedAtEpochMs: revokedAtMs, expiresAtEpochSeconds: exp() + 86_400 },
    ]);
    let deniedAfterMs: number | undefined;
    while (deniedAfterMs === undefined && Date.now() - revokedAtMs < 5000) {
      const invocation = await authorizer.invoke(httpApiV2Event(`Bearer ${token}`));
      if ((invocation as { result: { isAuthorized: boolean } }).result.isAuthorized === false) deniedAfterMs = Date.now() - revokedAtMs;
      else await new Promise((resolve) => setTimeout(resolve, 25));
    }

    expect(deniedAfterMs).toBeDefined();
    // Bound: the sync interval plus the time one sync takes against a local table.
    expect(deniedAfterMs!).toBeLessThan(SYNC_INTERVAL_MS + 1000);
  });

  it('throws Unauthorized for a REST TOKEN request with a forged token', async () => {
    const authorizer = startAuthorizer();
    const invocation = await authorizer.invoke(restTokenEvent('Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.'));
    expect(invocation).toEqual({ ok: false, error: { name: 'Error', message: 'Unauthorized' } });
  });

  it('fails closed (throws, so API Gateway answers 500) when the table is unreachable at cold start', async () => {
    const authorizer = startAuthorizer({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' });
    const invocation = await authorizer.invoke(httpApiV2Event(`Bearer ${await issuer.token()}`));
    expect(invocation).toMatchObject({ ok: false, error: { code: 'ERR_REVOCATION_STATE_UNAVAILABLE' } });
  });

  it('refuses to start with a configuration error naming every bad variable', async () => {
    const authorizer = startAuthorizer({ JWT_AUDIENCE: '', REVOCATION_SYNC_INTERVAL_MS: '1s' });
    const invocation = await authorizer.invoke(httpApiV2Event('Bearer x'));
    expect(invocation.ok).toBe(false);
    expect(authorizer.output).toContain('ConfigurationError');
    expect(authorizer.output).toContain('JWT_AUDIENCE must list the accepted audience values');
    expect(authorizer.output).toContain('REVOCATION_SYNC_INTERVAL_MS must be a whole number of milliseconds');
  });
});
