import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationStore } from '../lambda/revocation/index.js';
import { httpApiV2Event } from './support/api-gateway-events.js';
import { BundleProcess, type Invocation } from './support/bundle-process.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { TestIssuer } from './support/issuer.js';
import { snsEvent } from '../local/sns-event.js';
import { createRevocationTable } from '../local/table-admin.js';

const TABLE = 'revocations';
const SYNC_INTERVAL_MS = 300;

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let authorizer: BundleProcess;
let ingest: BundleProcess;

beforeAll(async () => {
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
  await createRevocationTable(dynamo.client, TABLE);
  const env = { ...dynamo.env, REVOCATION_TABLE_NAME: TABLE, POWERTOOLS_METRICS_DISABLED: 'true' };
  authorizer = new BundleProcess('authorizer', { ...env, ...issuer.env, REVOCATION_SYNC_INTERVAL_MS: String(SYNC_INTERVAL_MS) });
  ingest = new BundleProcess('ingest', env);
});
afterAll(async () => {
  await Promise.all([authorizer?.stop(), ingest?.stop()]);
  await Promise.all([dynamo.stop(), issuer.stop()]);
});

const isAuthorized = (invocation: Invocation) =>
  invocation.ok ? (invocation.result as { isAuthorized: boolean; context?: Record<string, unknown> }) : undefined;

/** Asks the warm authorizer until it denies the token, or gives up after `limitMs`. */
async function deniedWithin(token: string, limitMs: number): Promise<{ afterMs: number; reason: unknown } | undefined> {
  const startedMs = Date.now();
  while (Date.now() - startedMs < limitMs) {
    const answer = isAuthorized(await authorizer.invoke(httpApiV2Event(`Bearer ${token}`)));
    if (answer?.isAuthorized === false) return { afterMs: Date.now() - startedMs, reason: answer.context?.reason };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return undefined;
}

describe('revocation end to end: SNS → dist/ingest.mjs → DynamoDB → dist/authorizer.mjs (delta sync)', () => {
  it('denies a token on a warm authorizer once its whole token is published for revocation', async () => {
    // Prepare
    const token = await issuer.token({ sub: 'e2e-alice', jti: 'e2e-token-1' });
    expect(isAuthorized(await authorizer.invoke(httpApiV2Event(`Bearer ${token}`)))?.isAuthorized).toBe(true);

    // Act
    const published = await ingest.invoke(snsEvent(JSON.stringify({ version: 1, type: 'token', token })));
    const denied = await deniedWithin(token, 5000);

    // Assess
    expect(published).toMatchObject({ ok: true, result: { applied: { jti: 1 } } });
    expect(denied).toMatchObject({ reason: 'revoked_jti' });
    expect(denied!.afterMs).toBeLessThan(SYNC_INTERVAL_MS + 1000);
    expect(ingest.output + authorizer.output).not.toContain(token);
  });

  it('denies tokens issued before a WSO2 user revocation and allows one issued after it', async () => {
    // Prepare
    const nowSeconds = Math.floor(Date.now() / 1000);
    const before = await issuer.token({ sub: 'e2e-user-uuid', iat: nowSeconds - 60 });
    const after = await issuer.token({ sub: 'e2e-user-uuid', iat: nowSeconds + 2 });
    const revocationTime = nowSeconds * 1000;
    const event = {
      event: {
        payloadData: {
          eventId: 'e2e-event-1',
          revokedToken: Buffer.from(
            JSON.stringify({ entityId: 'e2e-user-uuid', entityType: 'USER_ID', revocationTime: String(revocationTime) }),
          ).toString('base64'),
          ttl: '3600',
          expiryTime: 0,
          type: 'SUBJECT_ENTITY_REVOCATION_EVENT',
          tenantId: -1234,
        },
      },
    };

    // Act
    const published = await ingest.invoke(snsEvent({ message: JSON.stringify(event), attributes: { issuer: issuer.issuer } }));
    const denied = await deniedWithin(before, 5000);
    const stillAllowed = isAuthorized(await authorizer.invoke(httpApiV2Event(`Bearer ${after}`)));

    // Assess
    expect(published).toMatchObject({ ok: true, result: { applied: { subject: 1 } } });
    expect(denied).toMatchObject({ reason: 'revoked_subject' });
    expect(stillAllowed?.isAuthorized).toBe(true);
  });

  it('denies a token that an issuer whose clock runs 35 s fast minted 5 s before the revocation it dated itself', async () => {
    // Prepare: the issuer's clock is 35 s ahead (within JWT_CLOCK_TOLERANCE_SECONDS, 60): its token
    // is dated now + 30 s, and its revocation, published 5 s later, now + 35 s. A cut-off clamped
    // to the ingest's now would leave the token valid for its whole life (issue 11, item 3).
    const issuerNowSeconds = Math.floor(Date.now() / 1000) + 35;
    const token = await issuer.token({ sub: 'e2e-fast-clock', iat: issuerNowSeconds - 5, exp: issuerNowSeconds + 3600 });
    expect(isAuthorized(await authorizer.invoke(httpApiV2Event(`Bearer ${token}`)))?.isAuthorized).toBe(true);

    // Act
    const message = { version: 1, type: 'subject', sub: 'e2e-fast-clock', iss: issuer.issuer, revokedAt: issuerNowSeconds * 1000 };
    const published = await ingest.invoke(snsEvent(JSON.stringify(message)));
    const denied = await deniedWithin(token, 5000);

    // Assess
    expect(published).toMatchObject({ ok: true, result: { applied: { subject: 1 } } });
    expect(denied).toMatchObject({ reason: 'revoked_subject' });
  });

  it('clamps a cut-off dated an hour ahead to now plus the clock tolerance', async () => {
    // Act
    const beforeMs = Date.now();
    const message = { version: 1, type: 'subject', sub: 'e2e-future', iss: issuer.issuer, revokedAt: beforeMs + 3_600_000 };
    const published = await ingest.invoke(snsEvent(JSON.stringify(message)));
    const afterMs = Date.now();

    // Assess: T is the ingest's now + 60 s, not an hour ahead (tokens issued in the hour after would be refused).
    expect(published).toMatchObject({ ok: true, result: { applied: { subject: 1 } } });
    const stored: { id: string; revokedAtEpochMs: number }[] = [];
    await new RevocationStore(dynamo.client, TABLE).scanLive(1, Date.now() / 1000, (revocation) => {
      if (revocation.kind === 'subject') stored.push(revocation);
    });
    const cutoff = stored.find((revocation) => revocation.id === 'e2e-future')!.revokedAtEpochMs;
    expect(cutoff).toBeGreaterThanOrEqual(beforeMs + 60_000);
    expect(cutoff).toBeLessThanOrEqual(afterMs + 60_000);
  });
});
