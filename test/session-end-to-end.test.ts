import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationStore, type SessionRevocation } from '../lambda/revocation/index.js';
import { snsEvent } from '../local/sns-event.js';
import { createRevocationTable } from '../local/table-admin.js';
import { decide, until } from './hardening/support/decisions.js';
import { BundleProcess } from './support/bundle-process.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { TestIssuer } from './support/issuer.js';

/**
 * Session revocation (issue 13) end to end: an SNS event into dist/ingest.mjs, dynalite,
 * dist/authorizer.mjs syncing from it. The authorizer's wall clock (Date.now) is frozen and moved
 * (BUNDLE_CLOCK_MS, setClock): token and entry times are exact to the second, and nothing waits an
 * hour. Its syncs run on the monotonic clock, which is real: after publishing, the test asks until
 * the authorizer has synced, and moving the wall clock needs no new sync.
 */

const TABLE = 'revocations';
const LIFETIME_SECONDS = 3600;
const TOLERANCE_SECONDS = 60;
const SESSION = 'b7e1c2d4-session-of-alice';

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let ingest: BundleProcess;
let authorizer: BundleProcess;
/** Tokens shaped as a Cognito user pool mints them (RS256, no typ), and an authorizer with JWT_PRESET=cognito trusting it. */
let pool: TestIssuer;
let cognitoAuthorizer: BundleProcess;
const POOL = 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example';
const APP_CLIENT = '57cbishk4j24pabc1234567890';
/** The authorizer's frozen wall clock at the start, a whole second. */
const startMs = Math.floor(Date.now() / 1000) * 1000;
const startSeconds = startMs / 1000;

beforeAll(async () => {
  [dynamo, issuer, pool] = await Promise.all([
    startDynalite(),
    TestIssuer.start({ algorithms: ['ES256'] }),
    TestIssuer.start({ algorithms: ['RS256'], issuer: POOL }),
  ]);
  await createRevocationTable(dynamo.client, TABLE);
  const env = {
    ...dynamo.env,
    REVOCATION_TABLE_NAME: TABLE,
    POWERTOOLS_METRICS_DISABLED: 'true',
    JWT_MAX_TOKEN_LIFETIME_SECONDS: String(LIFETIME_SECONDS),
    JWT_CLOCK_TOLERANCE_SECONDS: String(TOLERANCE_SECONDS),
  };
  ingest = new BundleProcess('ingest', env);
  authorizer = new BundleProcess('authorizer', { ...env, ...issuer.env, REVOCATION_SYNC_INTERVAL_MS: '200' }, { clockMs: startMs });
  cognitoAuthorizer = new BundleProcess('authorizer', {
    ...env,
    JWT_PRESET: 'cognito',
    JWT_ISSUER: POOL,
    JWT_AUDIENCE: APP_CLIENT,
    JWKS_URI: pool.jwksUri,
    REVOCATION_SYNC_INTERVAL_MS: '200',
  });
});
afterAll(async () => {
  await Promise.all([ingest?.stop(), authorizer?.stop(), cognitoAuthorizer?.stop()]);
  await Promise.all([dynamo?.stop(), issuer?.stop(), pool?.stop()]);
});

/** A token of the test issuer, signed with ES256, issued at `iat` (epoch seconds) for `lifetime` seconds. */
const token = (claims: Record<string, unknown>, iat: number, lifetime = 600) =>
  issuer.token({ iat, exp: iat + lifetime, ...claims }, { key: issuer.key('ES256') });

describe('session revocation through dist/ingest.mjs and dist/authorizer.mjs', () => {
  let expiresAtEpochSeconds = 0;

  it('refuses every token with the revoked sid, issued before or after the revocation, and no other', async () => {
    // Prepare: tokens of the session issued long before the revocation (with the longest lifetime
    // the authorizer accepts), just before, and after it (a token minted by an issuer that had not
    // yet ended the session); and tokens the revocation must not touch.
    const ofSession = {
      longBefore: await token({ sid: SESSION, jti: 'long-before' }, startSeconds - 600, LIFETIME_SECONDS),
      before: await token({ sid: SESSION, jti: 'before' }, startSeconds - 1),
      after: await token({ sid: SESSION, jti: 'after' }, startSeconds + 30),
    };
    const untouched = {
      otherSession: await token({ sid: 'another-session', jti: 'other-session' }, startSeconds - 1),
      noSession: await token({ jti: 'no-session' }, startSeconds - 1),
      // The same id as another kind of claim: sessions are their own namespace.
      subjectLikeTheSession: await token({ sub: SESSION, client_id: SESSION, jti: SESSION }, startSeconds - 1),
    };
    for (const each of [...Object.values(ofSession), ...Object.values(untouched)]) expect(await decide(authorizer, each)).toBe('allow');

    // Act
    const published = await ingest.invoke(snsEvent(JSON.stringify({ version: 1, type: 'session', sid: SESSION, iss: issuer.issuer })));
    const denied = await until(authorizer, ofSession.before, (outcome) => outcome !== 'allow', 5000);

    // Assess
    expect(published).toMatchObject({ ok: true, result: { revocations: 1, applied: { session: 1 } } });
    expect(denied?.outcome).toBe('deny:revoked_session');
    for (const each of Object.values(ofSession)) expect(await decide(authorizer, each)).toBe('deny:revoked_session');
    for (const each of Object.values(untouched)) expect(await decide(authorizer, each)).toBe('allow');
    const stored: SessionRevocation[] = [];
    await new RevocationStore(dynamo.client, TABLE).scanLive(1, Date.now() / 1000, (revocation) => {
      if (revocation.kind === 'session') stored.push(revocation);
    });
    expect(stored).toHaveLength(1);
    // The token called "after" really was issued after the revocation.
    expect(stored[0]!.revokedAtEpochMs).toBeLessThan((startSeconds + 30) * 1000);
    // Kept for the longest token lifetime plus the tolerance after the revocation (its publish time).
    expect(stored[0]!.expiresAtEpochSeconds).toBe(Math.ceil(stored[0]!.revokedAtEpochMs / 1000) + LIFETIME_SECONDS + TOLERANCE_SECONDS);
    expiresAtEpochSeconds = stored[0]!.expiresAtEpochSeconds;
    const deny = authorizer.logLines().find((line) => line.message === 'deny' && line.reason === 'revoked_session');
    expect(deny).toMatchObject({ code: 'ERR_TOKEN_REVOKED_SESSION', session: SESSION });
  });

  it('keeps refusing until the maximum token lifetime plus the tolerance has passed since the revocation, then lets the entry go', async () => {
    expect(expiresAtEpochSeconds).toBeGreaterThan(0);
    // Prepare: the longest-lived token issued before the revocation is refused to its last valid
    // second (exp + tolerance), which falls before the entry may go.
    const lastLong = await token({ sid: SESSION, jti: 'last-long' }, startSeconds - 1, LIFETIME_SECONDS);
    const lastValidMs = (startSeconds - 1 + LIFETIME_SECONDS + TOLERANCE_SECONDS) * 1000 - 1;
    expect(lastValidMs).toBeLessThan(expiresAtEpochSeconds * 1000);
    await authorizer.setClock(lastValidMs);
    const atItsEnd = await decide(authorizer, lastLong);

    // Act: a fresh token of the session, one second before the entry expires and at its expiry.
    await authorizer.setClock(expiresAtEpochSeconds * 1000 - 1000);
    const fresh = await token({ sid: SESSION, jti: 'fresh-1' }, expiresAtEpochSeconds - 5);
    const beforeExpiry = await decide(authorizer, fresh);
    await authorizer.setClock(expiresAtEpochSeconds * 1000);
    const atExpiry = await decide(authorizer, fresh);
    const pastIt = await decide(authorizer, lastLong);

    // Assess
    expect(atItsEnd).toBe('deny:revoked_session');
    expect(beforeExpiry).toBe('deny:revoked_session');
    expect(atExpiry).toBe('allow');
    // The tokens issued before the revocation are past their exp by then.
    expect(pastIt).toBe('deny:expired');
  });
});

describe('JWT_PRESET=cognito: a session is the refresh token the access tokens came from', () => {
  /**
   * Cognito's RevokeToken revokes a refresh token and every access token minted from it; those
   * share `origin_jti` ("Revoking tokens" and "Using the access token", Amazon Cognito developer
   * guide). Publishing that origin_jti as a session revocation must refuse them all, with no
   * JWT_SESSION_CLAIM set: the preset matches sessions on origin_jti.
   */
  const accessToken = (jti: string, originJti: string) => {
    const now = Math.floor(Date.now() / 1000);
    return pool.token(
      {
        sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
        token_use: 'access',
        scope: 'aws.cognito.signin.user.admin',
        auth_time: now,
        iat: now,
        exp: now + 600,
        origin_jti: originJti,
        jti,
        client_id: APP_CLIENT,
        username: 'janedoe@example.com',
        aud: undefined,
      },
      { header: { typ: undefined } },
    );
  };

  it('refuses every access token minted from the revoked refresh token, and none minted from another', async () => {
    // Prepare: two access tokens of one refresh token (a first sign-in and a refresh), one of another.
    const revokedOrigin = '11111111-2222-3333-4444-555555555555';
    const fromRevoked = [await accessToken('access-1', revokedOrigin), await accessToken('access-2', revokedOrigin)];
    const fromAnother = await accessToken('access-3', '99999999-8888-7777-6666-555555555555');
    for (const each of [...fromRevoked, fromAnother]) expect(await decide(cognitoAuthorizer, each)).toBe('allow');

    // Act
    const published = await ingest.invoke(snsEvent(JSON.stringify({ version: 1, type: 'session', sid: revokedOrigin, iss: POOL })));
    const denied = await until(cognitoAuthorizer, fromRevoked[0]!, (outcome) => outcome !== 'allow', 5000);

    // Assess
    expect(published).toMatchObject({ ok: true, result: { applied: { session: 1 } } });
    expect(denied?.outcome).toBe('deny:revoked_session');
    expect(await decide(cognitoAuthorizer, fromRevoked[1]!)).toBe('deny:revoked_session');
    expect(await decide(cognitoAuthorizer, fromAnother)).toBe('allow');
  });
});
