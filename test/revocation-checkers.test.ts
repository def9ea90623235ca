import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadAuthorizerConfig } from '../lambda/config/index.js';
import {
  ANY_ISSUER,
  createRevocationChecker,
  createRevocationClient,
  revocationIdsOf,
  RevocationStore,
  sessionRevocation,
  type Revocation,
  type ViewRevocationChecker,
} from '../lambda/revocation/index.js';
import { createRevocationTable, importRevocations } from '../local/table-admin.js';
import { type RevocationReason, RevocationStateUnavailableError } from '../lambda/shared/index.js';
import type { VerifiedToken } from '../lambda/token/index.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { observedClient, type ObservedClient } from './support/dynamo-faults.js';
import { LogRecorder } from './support/log-recorder.js';

const ISS = 'https://issuer.example.com';
const OTHER_ISS = 'https://other.example.com';
/** A whole second, so cut-offs at T line up with iat values. */
const T0 = Math.floor(Date.now() / 1000) * 1000;
const LIFETIME = 3600;

let shared: LocalDynamo;
let tables = 0;

beforeAll(async () => {
  shared = await startDynalite();
});
afterAll(() => shared.stop());

/** A dynalite of its own, for tests that stop it. */
const outageDynamos: LocalDynamo[] = [];
afterEach(async () => {
  await Promise.all(outageDynamos.splice(0).map((dynamo) => dynamo.stop()));
});
async function outageDynamo(): Promise<LocalDynamo> {
  const dynamo = await startDynalite();
  outageDynamos.push(dynamo);
  return dynamo;
}

interface Harness {
  readonly checker: ViewRevocationChecker;
  readonly store: RevocationStore;
  readonly observed: ObservedClient;
  readonly log: LogRecorder;
  /** The clock the checker stamps syncs with; tests move it. */
  clock: number;
  decide(token: VerifiedToken, nowMs?: number): Promise<RevocationReason | undefined>;
}

/** A checker on a fresh table, configured through the same environment variables as the Lambda. */
async function harness(
  env: Record<string, string> = {},
  dynamo: LocalDynamo = shared,
  options: { sweepIntervalMs?: number } = {},
): Promise<Harness> {
  const config = loadAuthorizerConfig({
    JWT_ISSUER: ISS,
    JWKS_URI: `${ISS}/jwks.json`,
    JWT_AUDIENCE: 'api',
    JWT_MAX_TOKEN_LIFETIME_SECONDS: String(LIFETIME),
    REVOCATION_TABLE_NAME: `revocations-${++tables}`,
    REVOCATION_SYNC_INTERVAL_MS: '1000',
    REVOCATION_MAX_STALENESS_MS: '5000',
    ...env,
  });
  const observed = observedClient(dynamo);
  const store = new RevocationStore(observed.client, config.revocation.tableName);
  await createRevocationTable(dynamo.client, config.revocation.tableName);
  const log = new LogRecorder();
  const h: Harness = {
    clock: T0,
    store,
    observed,
    log,
    checker: undefined as unknown as ViewRevocationChecker,
    async decide(token, nowMs = h.clock) {
      const answer = h.checker.findRevocation(token, nowMs);
      return await answer;
    },
  };
  (h as { checker: ViewRevocationChecker }).checker = createRevocationChecker({
    reader: store,
    settings: config.revocation,
    rules: config.rules,
    log,
    now: () => h.clock,
    monotonicNow: () => h.clock,
    sweepIntervalMs: options.sweepIntervalMs,
  });
  return h;
}

function token(fields: Partial<Omit<VerifiedToken, 'revocationIds'>> = {}): VerifiedToken {
  const token = {
    issuer: ISS,
    sub: 'alice',
    subject: 'alice',
    subjectClaim: 'sub',
    tokenId: `token-${Math.random()}`,
    signatureIds: [],
    clientId: 'app-7',
    sessionId: undefined,
    issuedAtEpochSeconds: T0 / 1000 - 60,
    expiresAtEpochSeconds: T0 / 1000 + 600,
    scope: undefined,
    claims: {},
    ...fields,
  };
  return {
    ...token,
    revocationIds: revocationIdsOf(token.tokenId, token.subject, token.clientId, token.signatureIds, token.sessionId),
  };
}

const revokeJti = (jti: string, issuer = ISS): Revocation => ({ kind: 'jti', issuer, jti, expiresAtEpochSeconds: T0 / 1000 + 600 });
const cutoff = (kind: 'subject' | 'client', id: string, revokedAtEpochMs: number, issuer: string): Revocation => ({
  kind,
  issuer,
  id,
  revokedAtEpochMs,
  expiresAtEpochSeconds: Math.ceil(revokedAtEpochMs / 1000) + LIFETIME + 60,
});
const revokeSubject = (id: string, revokedAtEpochMs: number, issuer = ISS) => cutoff('subject', id, revokedAtEpochMs, issuer);
const revokeClient = (id: string, revokedAtEpochMs: number, issuer = ISS) => cutoff('client', id, revokedAtEpochMs, issuer);
const revokeSession = (id: string, revokedAtEpochMs: number, issuer = ISS) =>
  sessionRevocation(issuer, id, revokedAtEpochMs, { maxTokenLifetimeSeconds: LIFETIME, clockToleranceSeconds: 60 });

async function rejection(promise: Promise<unknown>): Promise<RevocationStateUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RevocationStateUnavailableError);
  return error as RevocationStateUnavailableError;
}

describe('createRevocationChecker decisions', () => {
  it('refuses a revoked jti, subject and client, and allows tokens of that subject and client issued after T', async () => {
    const h = await harness();
    const t = T0 - 10_000;
    await h.store.applyRevocations([revokeJti('stolen'), revokeSubject('alice', t), revokeClient('app-7', t)], { nowMs: T0 - 5000 });
    await h.checker.load();

    expect(await h.decide(token({ tokenId: 'stolen', subject: 'bob', clientId: 'other' }))).toBe('revoked_jti');
    expect(await h.decide(token({ subject: 'alice', clientId: 'other', issuedAtEpochSeconds: t / 1000 - 30 }))).toBe('revoked_subject');
    expect(await h.decide(token({ subject: 'bob', clientId: 'app-7', issuedAtEpochSeconds: t / 1000 - 30 }))).toBe('revoked_client');
    expect(await h.decide(token({ subject: 'alice', clientId: 'app-7', issuedAtEpochSeconds: t / 1000 + 1 }))).toBeUndefined();
    expect(await h.decide(token({ subject: 'bob', clientId: 'other' }))).toBeUndefined();
  });

  it('refuses every token of a revoked session, issued before or after T, of its issuer only, until lifetime + tolerance after T', async () => {
    // Prepare
    const h = await harness();
    const t = T0 - 10_000;
    await h.store.applyRevocations([revokeSession('sid-1', t), revokeSession('sid-any', t, ANY_ISSUER)], { nowMs: T0 - 5000 });
    await h.checker.load();
    const gone = t + (LIFETIME + 60) * 1000;

    // Act + Assess
    expect(await h.decide(token({ sessionId: 'sid-1', issuedAtEpochSeconds: t / 1000 - 600 }))).toBe('revoked_session');
    expect(await h.decide(token({ sessionId: 'sid-1', issuedAtEpochSeconds: t / 1000 + 5 }))).toBe('revoked_session');
    expect(await h.decide(token({ sessionId: 'sid-any', issuer: OTHER_ISS }))).toBe('revoked_session');
    expect(await h.decide(token({ sessionId: 'sid-1', issuer: OTHER_ISS }))).toBeUndefined();
    expect(await h.decide(token({ sessionId: 'sid-2' }))).toBeUndefined();
    expect(await h.decide(token({ sessionId: undefined }))).toBeUndefined();
    h.clock = gone - 1000;
    expect(await h.decide(token({ sessionId: 'sid-1', issuedAtEpochSeconds: h.clock / 1000 }))).toBe('revoked_session');
    h.clock = gone;
    expect(await h.decide(token({ sessionId: 'sid-1', issuedAtEpochSeconds: h.clock / 1000 }))).toBeUndefined();
  });

  it('allows the same jti from another issuer, and refuses a jti revoked for any issuer from every issuer', async () => {
    const h = await harness();
    await h.store.applyRevocations([revokeJti('shared-id'), revokeJti('everywhere', ANY_ISSUER)], { nowMs: T0 });
    await h.checker.load();

    expect(await h.decide(token({ tokenId: 'shared-id' }))).toBe('revoked_jti');
    expect(await h.decide(token({ tokenId: 'shared-id', issuer: OTHER_ISS }))).toBeUndefined();
    expect(await h.decide(token({ tokenId: 'everywhere' }))).toBe('revoked_jti');
    expect(await h.decide(token({ tokenId: 'everywhere', issuer: OTHER_ISS }))).toBe('revoked_jti');
  });

  it.each([
    ['T - 1 s', -1, 'revoked_subject'],
    ['T', 0, 'revoked_subject'],
    ['T + 1 s', 1, undefined],
  ])('compares iat * 1000 <= T: a token issued at %s is %s', async (_, offsetSeconds, expected) => {
    const h = await harness();
    const t = T0 - 60_000;
    await h.store.applyRevocations([revokeSubject('alice', t)], { nowMs: T0 });
    await h.checker.load();

    expect(await h.decide(token({ issuedAtEpochSeconds: t / 1000 + offsetSeconds }))).toBe(expected);
  });

  it('compares in milliseconds: a cut-off at T + 500 ms refuses iat = T and allows iat = T + 1 s', async () => {
    const h = await harness();
    const t = T0 - 60_000 + 500;
    await h.store.applyRevocations([revokeClient('app-7', t)], { nowMs: T0 });
    await h.checker.load();

    expect(await h.decide(token({ issuedAtEpochSeconds: (t - 500) / 1000 }))).toBe('revoked_client');
    expect(await h.decide(token({ issuedAtEpochSeconds: (t + 500) / 1000 }))).toBeUndefined();
  });

  it('refuses a token without iat whose subject has a cut-off, since it cannot be shown to be newer', async () => {
    const h = await harness();
    await h.store.applyRevocations([revokeSubject('alice', T0 - 60_000)], { nowMs: T0 });
    await h.checker.load();

    expect(await h.decide(token({ issuedAtEpochSeconds: undefined }))).toBe('revoked_subject');
    expect(await h.decide(token({ subject: 'bob', issuedAtEpochSeconds: undefined }))).toBeUndefined();
  });

  it('combines an issuer cut-off and an any-issuer cut-off as the maximum', async () => {
    const h = await harness();
    await h.store.applyRevocations([revokeSubject('alice', T0 - 60_000), revokeSubject('alice', T0 - 30_000, ANY_ISSUER)], { nowMs: T0 });
    await h.checker.load();

    expect(await h.decide(token({ issuedAtEpochSeconds: (T0 - 40_000) / 1000 }))).toBe('revoked_subject');
    expect(await h.decide(token({ issuedAtEpochSeconds: (T0 - 20_000) / 1000 }))).toBeUndefined();
  });

  it('ignores expired items that DynamoDB has not deleted yet', async () => {
    const h = await harness();
    await importRevocations(
      h.observed.client,
      h.store.tableName,
      [
        { kind: 'jti', issuer: ISS, jti: 'expired', expiresAtEpochSeconds: T0 / 1000 - 1 },
        { kind: 'subject', issuer: ISS, id: 'alice', revokedAtEpochMs: T0 - 2 * LIFETIME * 1000, expiresAtEpochSeconds: T0 / 1000 - 5 },
        revokeJti('live'),
      ],
      { nowMs: T0 - 10_000 },
    );

    await h.checker.load();

    expect(h.checker.view.entries).toEqual({ jti: 1, subject: 0, client: 0, session: 0 });
    expect(await h.decide(token({ tokenId: 'expired', issuedAtEpochSeconds: T0 / 1000 - 3 * LIFETIME }))).toBeUndefined();
    expect(await h.decide(token({ tokenId: 'live' }))).toBe('revoked_jti');
  });

  it('loads thousands of items at cold start', async () => {
    const h = await harness({ REVOCATION_SCAN_SEGMENTS: '3' });
    const jtis = Array.from({ length: 3000 }, (_, i) => revokeJti(`jti-${i}`));
    const subjects = Array.from({ length: 1000 }, (_, i) => revokeSubject(`user-${i}`, T0 - 1000));
    await importRevocations(h.observed.client, h.store.tableName, [...jtis, ...subjects], { nowMs: T0 - 1000, concurrency: 16 });

    await h.checker.load();

    expect(h.checker.view.entries).toEqual({ jti: 3000, subject: 1000, client: 0, session: 0 });
    expect(h.observed.sent.get('ScanCommand')).toBeGreaterThanOrEqual(3);
    expect(await h.decide(token({ tokenId: 'jti-2999', subject: 'bob' }))).toBe('revoked_jti');
    expect(await h.decide(token({ subject: 'user-999' }))).toBe('revoked_subject');
    expect(await h.decide(token({ subject: 'user-1000' }))).toBeUndefined();
  });
});

describe('EventualChecker delta sync', () => {
  it('answers a warm request synchronously from memory, without a request to DynamoDB', async () => {
    const h = await harness();
    await h.store.applyRevocations([revokeJti('stolen')], { nowMs: T0 });
    await h.checker.load();
    const sentAfterLoad = h.observed.total;

    const answers = [h.checker.findRevocation(token({ tokenId: 'stolen' }), T0 + 999), h.checker.findRevocation(token(), T0 + 999)];

    expect(answers).toEqual(['revoked_jti', undefined]);
    expect(h.observed.total).toBe(sentAfterLoad);
  });

  it('enforces a revocation written while warm once the sync interval has passed, not before', async () => {
    const h = await harness();
    await h.checker.load();
    h.clock = T0 + 200;
    await h.store.applyRevocations([revokeJti('stolen-later'), revokeSubject('alice', T0 + 200)], { nowMs: h.clock });
    const stolen = token({ tokenId: 'stolen-later', subject: 'bob' });

    expect(h.checker.findRevocation(stolen, T0 + 999)).toBeUndefined();
    h.clock = T0 + 1000;
    const due = h.checker.findRevocation(stolen, h.clock);

    expect(due).toBeInstanceOf(Promise);
    expect(await due).toBe('revoked_jti');
    expect(h.checker.findRevocation(token({ issuedAtEpochSeconds: T0 / 1000 }), h.clock + 1)).toBe('revoked_subject');
    expect(h.checker.view.counters.syncs).toBe(1);
  });

  it('reads back over the overlap, so a change that reached the index late is not missed', async () => {
    const h = await harness({ REVOCATION_SYNC_OVERLAP_MS: '3000' });
    await h.checker.load();
    h.clock = T0 + 1000;
    expect(await h.decide(token())).toBeUndefined();
    // Stamped before the last sync started, as an item the index had not shown yet would be.
    await h.store.applyRevocations([revokeJti('late')], { nowMs: T0 + 500 });

    h.clock = T0 + 2000;

    expect(await h.decide(token({ tokenId: 'late' }))).toBe('revoked_jti');
  });

  it('does not read back further than the overlap', async () => {
    const h = await harness({ REVOCATION_SYNC_OVERLAP_MS: '0' });
    await h.checker.load();
    // A write moves the change head, so the sync at T0 + 1000 queries the index.
    await h.store.applyRevocations([revokeJti('first')], { nowMs: T0 + 100 });
    h.clock = T0 + 1000;
    expect(await h.decide(token({ tokenId: 'first' }))).toBe('revoked_jti');
    await h.store.applyRevocations([revokeJti('before-last-sync')], { nowMs: T0 + 500 });
    await h.store.applyRevocations([revokeJti('after-last-sync')], { nowMs: T0 + 1500 });
    const queriesBefore = h.observed.sent.get('QueryCommand') ?? 0;

    h.clock = T0 + 2000;

    // Proves the delta query is bounded (without overlap such an item is missed until a cold start):
    // the sync queried (it found the later write) from the last query's start on.
    expect(await h.decide(token({ tokenId: 'after-last-sync' }))).toBe('revoked_jti');
    expect((h.observed.sent.get('QueryCommand') ?? 0) - queriesBefore).toBe(4);
    expect(await h.decide(token({ tokenId: 'before-last-sync' }))).toBeUndefined();
  });

  it('forgets entries as they expire, so a long-lived instance does not grow', async () => {
    const h = await harness({}, shared, { sweepIntervalMs: 0 });
    await h.store.applyRevocations([{ kind: 'jti', issuer: ISS, jti: 'short', expiresAtEpochSeconds: T0 / 1000 + 5 }, revokeJti('long')], {
      nowMs: T0,
    });
    await h.checker.load();
    expect(h.checker.view.entryCount).toBe(2);

    h.clock = T0 + 5000;
    await h.decide(token());

    expect(h.checker.view.entryCount).toBe(1);
    expect(h.checker.view.counters.swept).toBe(1);
  });

  it('shares one load among concurrent first requests', async () => {
    const h = await harness({ REVOCATION_SCAN_SEGMENTS: '2' });

    await Promise.all([h.checker.load(), h.decide(token()), h.decide(token())]);

    expect(h.observed.sent.get('ScanCommand')).toBe(2);
    expect(h.checker.view.counters.loads).toBe(1);
  });
});

describe('EventualChecker when DynamoDB is unreachable', () => {
  it('throws at cold start with the DynamoDB error as cause, then loads on a later request once it is back', async () => {
    const dynamo = await outageDynamo();
    const h = await harness({}, dynamo);
    await dynamo.stop();

    const error = await rejection(h.checker.load());
    const again = await rejection(h.decide(token()));

    expect(error.code).toBe('ERR_REVOCATION_STATE_UNAVAILABLE');
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.cause).not.toBeInstanceOf(RevocationStateUnavailableError);
    expect(again.cause).toBeInstanceOf(Error);
    expect(h.checker.view.isLoaded).toBe(false);

    await dynamo.start();
    await createRevocationTable(dynamo.client, h.store.tableName);
    await h.store.applyRevocations([revokeJti('stolen')], { nowMs: T0 });

    expect(await h.decide(token({ tokenId: 'stolen' }))).toBe('revoked_jti');
    expect(h.checker.view.counters).toMatchObject({ loads: 1, loadFailures: 2 });
  });

  it('keeps answering from memory within the staleness limit, retrying once per interval, then fails closed', async () => {
    const dynamo = await outageDynamo();
    const h = await harness({ REVOCATION_SYNC_INTERVAL_MS: '1000', REVOCATION_MAX_STALENESS_MS: '5000' }, dynamo);
    await h.store.applyRevocations([revokeJti('stolen')], { nowMs: T0 });
    await h.checker.load();
    await dynamo.stop();
    const headReadsBefore = h.observed.sent.get('GetItemCommand') ?? 0;

    // 1 s to 5 s after the last successful read: a sync attempt per interval fails, memory answers.
    for (let elapsed = 1000; elapsed <= 5000; elapsed += 250) {
      h.clock = T0 + elapsed;
      expect(await h.decide(token({ tokenId: 'stolen' }))).toBe('revoked_jti');
      expect(await h.decide(token())).toBeUndefined();
    }
    expect(h.checker.view.counters.syncFailures).toBe(5);
    // Each attempt starts with its one change-head read, which fails: one request per interval.
    expect((h.observed.sent.get('GetItemCommand') ?? 0) - headReadsBefore).toBe(5);
    expect(h.log.lines.filter((line) => line.level === 'warn' && line.message.startsWith('revocation sync failed'))).toHaveLength(5);

    h.clock = T0 + 5001;
    const error = await rejection(h.decide(token()));
    expect(error.cause).toBeInstanceOf(Error);
    expect(h.checker.view.viewAgeMs(h.clock)).toBe(5001);
    // Even a token memory would refuse: past the limit the instance does not pretend to know.
    await rejection(h.decide(token({ tokenId: 'stolen' })));
    // Failing requests do not each retry: still one attempt per interval.
    for (const elapsed of [5100, 5500, 5999]) await rejection(h.decide(token(), T0 + elapsed));
    expect(h.checker.view.counters.syncFailures).toBe(5);
    h.clock = T0 + 6000;
    await rejection(h.decide(token()));
    expect(h.checker.view.counters.syncFailures).toBe(6);
  });

  it('recovers from a stale view as soon as a sync succeeds again', async () => {
    const dynamo = await outageDynamo();
    const h = await harness({}, dynamo);
    await h.checker.load();
    await dynamo.stop();
    h.clock = T0 + 6000;
    await rejection(h.decide(token()));

    await dynamo.start();
    await createRevocationTable(dynamo.client, h.store.tableName);
    h.clock = T0 + 7000;

    expect(await h.decide(token())).toBeUndefined();
    expect(h.checker.view.viewAgeMs(h.clock)).toBe(0);
    expect(h.log.lines.some((line) => line.message === 'revocation sync recovered')).toBe(true);
  });

  it('fails the load within the client timeout when DynamoDB accepts connections but never answers', async () => {
    const sockets: Socket[] = [];
    const blackHole = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    try {
      vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`);
      vi.stubEnv('AWS_REGION', 'us-east-1');
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
      const store = new RevocationStore(createRevocationClient({ requestTimeoutMs: 300, maxAttempts: 1 }), 'revocations');
      const config = loadAuthorizerConfig({ JWT_ISSUER: ISS, JWKS_URI: `${ISS}/jwks.json`, JWT_AUDIENCE: 'api' });
      const checker = createRevocationChecker({ reader: store, settings: config.revocation, rules: config.rules });
      const started = performance.now();

      await rejection(checker.load());

      expect(sockets.length).toBeGreaterThan(0);
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      vi.unstubAllEnvs();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });

  it('in fail-open mode allows a stale instance with a loud log line and a counted metric, and still refuses what it knows', async () => {
    const dynamo = await outageDynamo();
    const h = await harness({ REVOCATION_FAIL_MODE: 'open' }, dynamo);
    await h.store.applyRevocations([revokeJti('stolen')], { nowMs: T0 });
    await h.checker.load();
    await dynamo.stop();
    h.clock = T0 + 6000;

    expect(await h.decide(token())).toBeUndefined();
    expect(await h.decide(token())).toBeUndefined();
    expect(await h.decide(token({ tokenId: 'stolen' }))).toBe('revoked_jti');

    expect(h.checker.view.counters.failOpenAllows).toBe(2);
    const loud = h.log.lines.filter((line) => line.level === 'error' && line.message.includes('REVOCATION_FAIL_MODE=open'));
    expect(loud).toHaveLength(1);
    expect(loud[0]!.extra).toMatchObject({ code: 'ERR_REVOCATION_STATE_UNAVAILABLE', failOpenAllows: 1 });
  });

  it('in fail-open mode allows loudly at cold start, retries the load once per interval, and enforces once loaded', async () => {
    const dynamo = await outageDynamo();
    const h = await harness({ REVOCATION_FAIL_MODE: 'open' }, dynamo);
    await dynamo.stop();

    await h.checker.load();
    expect(await h.decide(token(), T0 + 10)).toBeUndefined();
    expect(h.checker.view.counters).toMatchObject({ loadFailures: 1, failOpenAllows: 1 });

    await dynamo.start();
    await createRevocationTable(dynamo.client, h.store.tableName);
    await h.store.applyRevocations([revokeJti('stolen')], { nowMs: T0 });
    // Within the interval since the failed attempt: no new load yet.
    expect(await h.decide(token({ tokenId: 'stolen' }), T0 + 500)).toBeUndefined();
    h.clock = T0 + 1000;

    expect(await h.decide(token({ tokenId: 'stolen' }))).toBe('revoked_jti');
    expect(h.checker.view.counters).toMatchObject({ loads: 1, loadFailures: 1, failOpenAllows: 2 });
  });
});

describe('StrongChecker', () => {
  it('sees a revocation written a moment ago, before any sync', async () => {
    const h = await harness({ REVOCATION_CONSISTENCY: 'strong' });
    await h.checker.load();
    await h.store.applyRevocations([revokeJti('just-now'), revokeClient('app-7', T0)], { nowMs: T0 + 10 });

    expect(await h.decide(token({ tokenId: 'just-now', clientId: 'x' }), T0 + 20)).toBe('revoked_jti');
    expect(await h.decide(token({ issuedAtEpochSeconds: T0 / 1000 }), T0 + 20)).toBe('revoked_client');
    expect(await h.decide(token({ issuedAtEpochSeconds: T0 / 1000 + 1 }), T0 + 20)).toBeUndefined();
    expect(h.observed.sent.get('BatchGetItemCommand')).toBe(3);
    expect(h.observed.sent.get('QueryCommand')).toBeUndefined();
    // No delta sync runs, yet the view is as fresh as the last consistent read.
    h.clock = T0 + 60_000;
    expect(await h.decide(token({ clientId: 'other' }))).toBeUndefined();
    expect(h.checker.view.viewAgeMs(T0 + 60_000)).toBe(0);
  });

  it('reads the token’s session key too, so a session revoked a moment ago refuses it', async () => {
    const h = await harness({ REVOCATION_CONSISTENCY: 'strong' });
    await h.checker.load();
    await h.store.applyRevocations([revokeSession('sid-now', T0, ANY_ISSUER)], { nowMs: T0 + 10 });

    expect(await h.decide(token({ sessionId: 'sid-now', clientId: 'x' }), T0 + 20)).toBe('revoked_session');
    expect(await h.decide(token({ sessionId: 'sid-other', clientId: 'x' }), T0 + 20)).toBeUndefined();
  });

  it('reads a jti-less token’s signature ids too, so a signature revoked a moment ago refuses it (WSO2 JWT event)', async () => {
    // Prepare
    const h = await harness({ REVOCATION_CONSISTENCY: 'strong' });
    await h.checker.load();
    await h.store.applyRevocations([revokeJti('c2lnbmF0dXJlLXR3aW4', ANY_ISSUER)], { nowMs: T0 + 10 });
    const jtiLess = (signatureIds: string[]) => token({ tokenId: 'sha256:hash-of-signed-part', signatureIds, clientId: 'x' });

    // Act
    const answers = [
      await h.decide(jtiLess(['b3RoZXI', 'b3RoZXItdHdpbg']), T0 + 20),
      await h.decide(jtiLess(['c2lnbmF0dXJl', 'c2lnbmF0dXJlLXR3aW4']), T0 + 20),
    ];

    // Assess
    expect(answers).toEqual([undefined, 'revoked_jti']);
  });

  it('fails closed when the consistent read fails', async () => {
    const dynamo = await outageDynamo();
    const h = await harness({ REVOCATION_CONSISTENCY: 'strong' }, dynamo);
    await h.checker.load();
    await dynamo.stop();

    const error = await rejection(h.decide(token()));

    expect(error.cause).toBeInstanceOf(Error);
    expect(h.checker.view.counters.strongReadFailures).toBe(1);
  });
});
