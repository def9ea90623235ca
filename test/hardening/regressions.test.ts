import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuthorizerConfig } from '../../lambda/config/index.js';
import { parseRevocationMessage } from '../../lambda/messages/index.js';
import { createRevocationChecker, revocationIdsOf, RevocationStore } from '../../lambda/revocation/index.js';
import { silentLog } from '../../lambda/shared/index.js';
import { KeyResolver, TokenVerifier, type VerifiedToken } from '../../lambda/token/index.js';
import { httpApiV2Event } from '../support/api-gateway-events.js';
import { BundleProcess } from '../support/bundle-process.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { TestIssuer } from '../support/issuer.js';
import { until } from './support/decisions.js';
import { snsEvent } from '../../local/sns-event.js';
import { createRevocationTable } from '../../local/table-admin.js';

/**
 * One test per bug the hardening work found, each failing before its fix (see docs/hardening.md).
 */

const P256_ORDER = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');

/** The same token with its ECDSA signature (r, s) re-spelled as (r, n - s): it verifies just as well. */
function respellEs256Signature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
  const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
  return `${header}.${payload}.${Buffer.concat([bytes.subarray(0, 32), flipped]).toString('base64url')}`;
}

let dynamo: LocalDynamo;
let issuer: TestIssuer;
const processes: BundleProcess[] = [];

beforeAll(async () => {
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['ES256'] })]);
});
afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await Promise.all([dynamo.stop(), issuer.stop()]);
});

describe('a whole token without jti, revoked by its hash', () => {
  it('stays revoked when its ECDSA signature is re-spelled as (r, n - s)', async () => {
    // Prepare: tokens without jti are allowed, and one is revoked through the ingest as a whole token.
    const table = 'revocations-malleable';
    await createRevocationTable(dynamo.client, table);
    const env = { ...dynamo.env, REVOCATION_TABLE_NAME: table, POWERTOOLS_METRICS_DISABLED: 'true' };
    const ingest = new BundleProcess('ingest', env);
    const authorizer = new BundleProcess('authorizer', {
      ...env,
      ...issuer.env,
      JWT_REQUIRED_CLAIMS: 'iss sub aud exp iat',
      REVOCATION_SYNC_INTERVAL_MS: '100',
    });
    processes.push(ingest, authorizer);
    const token = await issuer.token({ jti: undefined, sub: 'mallory' }, { key: issuer.key('ES256') });
    const respelled = respellEs256Signature(token);
    expect(respelled).not.toBe(token);
    expect(await authorizer.invoke(httpApiV2Event(`Bearer ${respelled}`))).toMatchObject({ ok: true, result: { isAuthorized: true } });

    // Act
    const published = await ingest.invoke(snsEvent(JSON.stringify({ type: 'token', token })));
    // Enforced within the sync interval; polled, so a loaded machine only makes it slower.
    await until(authorizer, token, (outcome) => outcome !== 'allow', 5000);
    const original = await authorizer.invoke(httpApiV2Event(`Bearer ${token}`));
    const replayed = await authorizer.invoke(httpApiV2Event(`Bearer ${respelled}`));

    // Assess
    expect(published).toMatchObject({ ok: true, result: { applied: { jti: 1 } } });
    expect(original).toMatchObject({ ok: true, result: { isAuthorized: false, context: { reason: 'revoked_jti' } } });
    expect(replayed).toMatchObject({ ok: true, result: { isAuthorized: false, context: { reason: 'revoked_jti' } } });
  });

  it('gets the same id from the verifier whichever spelling of the signature it sees', async () => {
    const config = loadAuthorizerConfig({ ...issuer.env, JWT_REQUIRED_CLAIMS: 'iss sub aud exp iat' });
    const verifier = new TokenVerifier(
      config,
      config.issuers.map((entry) => new KeyResolver(entry, config.jwks, silentLog)),
    );
    const token = await issuer.token({ jti: undefined }, { key: issuer.key('ES256') });

    const ids = [
      (await verifier.verify(token, Date.now())).tokenId,
      (await verifier.verify(respellEs256Signature(token), Date.now())).tokenId,
    ];

    expect(ids[0]).toMatch(/^sha256:/);
    expect(ids[1]).toBe(ids[0]);
  });
});

describe('the TTL of a cut-off', () => {
  it('outlives every token the cut-off refuses, also when T and iat have millisecond fractions', () => {
    // A client revoked "now" (T = the ingest clock, with a millisecond fraction). A token issued
    // 100 ms before T with the maximum lifetime is valid until iat + lifetime + tolerance.
    const nowMs = 1_800_000_000_900;
    const [cutoff] = parseRevocationMessage(
      JSON.stringify({ type: 'client', clientId: 'app' }),
      {},
      { nowMs, clockToleranceSeconds: 60, maxTokenLifetimeSeconds: 3600 },
    );
    const iat = (nowMs - 100) / 1000;
    const lastValidSecond = iat + 3600 + 60;

    expect(cutoff!.expiresAtEpochSeconds).toBeGreaterThanOrEqual(lastValidSecond);
  });
});

describe('the delta sync', () => {
  it('sees a revocation stamped in the very millisecond the previous read started, even with no overlap', async () => {
    // Prepare: a checker with REVOCATION_SYNC_OVERLAP_MS=0 loads at t; a write is stamped t too.
    const table = 'revocations-same-ms';
    const store = new RevocationStore(dynamo.client, table);
    await createRevocationTable(dynamo.client, table);
    const config = loadAuthorizerConfig({ ...issuer.env, REVOCATION_SYNC_OVERLAP_MS: '0', REVOCATION_SYNC_INTERVAL_MS: '1000' });
    let clock = 1_800_000_000_000;
    const checker = createRevocationChecker({
      reader: store,
      settings: config.revocation,
      rules: config.rules,
      now: () => clock,
      monotonicNow: () => clock,
    });
    await checker.load();
    await store.applyRevocations([{ kind: 'jti', issuer: issuer.issuer, jti: 'same-ms', expiresAtEpochSeconds: clock / 1000 + 600 }], {
      nowMs: clock,
    });
    const token: VerifiedToken = {
      issuer: issuer.issuer,
      tokenId: 'same-ms',
      signatureIds: [],
      sub: 's',
      subject: 's',
      subjectClaim: 'sub',
      clientId: 'c',
      sessionId: undefined,
      revocationIds: revocationIdsOf('same-ms', 's', 'c'),
      issuedAtEpochSeconds: clock / 1000 - 10,
      expiresAtEpochSeconds: clock / 1000 + 600,
      scope: undefined,
      claims: {},
    };

    // Act
    clock += 1000;
    const answer = await checker.findRevocation(token, clock);

    // Assess
    expect(answer).toBe('revoked_jti');
  });
});
