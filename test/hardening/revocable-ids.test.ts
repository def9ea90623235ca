import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HASHED_ID_PREFIX } from '../../lambda/revocation/index.js';
import { snsEvent } from '../../local/sns-event.js';
import { createRevocationTable } from '../../local/table-admin.js';
import { BundleProcess } from '../support/bundle-process.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { TestIssuer } from '../support/issuer.js';
import { decide, until, type Outcome } from './support/decisions.js';

/**
 * Issue 11, items 2 and 4 (and issue 13's session revocation): every token the authorizer allows
 * can be revoked by jti, by whole token, by subject, by client and, when it carries the session
 * claim (`sid`), by session, and the revocation then denies it, whatever its ids hold (long,
 * control characters, lone surrogates, blanks, the look of a stored hash). Through the real parts:
 * SNS events into dist/ingest.mjs, dynalite, dist/authorizer.mjs syncing from it.
 *
 * Each of the five ways revokes under its own trusted issuer (the five share one key set), so a
 * subject cut-off of one run cannot refuse the token another way is about to revoke.
 */

const WAYS = ['jti', 'token', 'subject', 'client', 'session'] as const;
type Way = (typeof WAYS)[number];
const EXPECTED: Record<Way, Outcome> = {
  jti: 'deny:revoked_jti',
  token: 'deny:revoked_jti',
  subject: 'deny:revoked_subject',
  client: 'deny:revoked_client',
  session: 'deny:revoked_session',
};
const TABLE = 'revocations';

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let ingest: BundleProcess;
let authorizer: BundleProcess;
const issuerOf = (way: Way) => `https://issuer.example.com/${way}-way`;

beforeAll(async () => {
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
  await createRevocationTable(dynamo.client, TABLE);
  const env = { ...dynamo.env, REVOCATION_TABLE_NAME: TABLE, POWERTOOLS_METRICS_DISABLED: 'true' };
  ingest = new BundleProcess('ingest', env);
  authorizer = new BundleProcess('authorizer', {
    ...env,
    JWT_ISSUERS: JSON.stringify(WAYS.map((way) => ({ issuer: issuerOf(way), jwksUri: issuer.jwksUri, audience: issuer.audience }))),
    // Room for four 3,000-unit ids that JSON spells with six bytes each (a lone surrogate is \udxxx).
    JWT_MAX_TOKEN_BYTES: '131072',
    REVOCATION_SYNC_INTERVAL_MS: '100',
  });
});
afterAll(async () => {
  await Promise.all([ingest?.stop(), authorizer?.stop()]);
  await Promise.all([dynamo?.stop(), issuer?.stop()]);
});

/** Any UTF-16 code unit (controls and lone surrogates included), and pieces that matter to the mapping. */
const codeUnit = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), weight: 3 },
  { arbitrary: fc.constantFrom('a', 'é', ' ', '\u0085', '\ud800', '\u{1F600}', HASHED_ID_PREFIX), weight: 1 },
);
const id = fc.oneof(
  fc.string({ unit: codeUnit, minLength: 1, maxLength: 40 }),
  fc.string({ unit: codeUnit, minLength: 1000, maxLength: 3000 }),
  fc.constantFrom('bob\u0085', 'x\ud800', '   ', 'a\nb', '\u202eevil', `${HASHED_ID_PREFIX}${'A'.repeat(43)}`, 'sha256:abc'),
);

interface Claims {
  readonly sub: string;
  readonly jti: string;
  readonly client: string;
  readonly sid: string;
}

/** The ids each way has revoked: a later run reusing one would find its token refused already. */
const used: Record<Way, Set<string>> = { jti: new Set(), token: new Set(), subject: new Set(), client: new Set(), session: new Set() };
const idOf = (way: Way, claims: Claims) =>
  way === 'subject' ? claims.sub : way === 'client' ? claims.client : way === 'session' ? claims.sid : claims.jti;

/** The revocation message each way publishes for a token. */
function messageFor(way: Way, token: string, claims: Claims, exp: number): string {
  switch (way) {
    case 'jti':
      return JSON.stringify({ type: 'jti', jti: claims.jti, iss: issuerOf(way), exp });
    case 'token':
      return JSON.stringify({ type: 'token', token });
    case 'subject':
      return JSON.stringify({ type: 'subject', sub: claims.sub, iss: issuerOf(way) });
    case 'client':
      return JSON.stringify({ type: 'client', clientId: claims.client, iss: issuerOf(way) });
    case 'session':
      return JSON.stringify({ type: 'session', sid: claims.sid, iss: issuerOf(way) });
  }
}

describe('every token the authorizer allows', () => {
  it('can be revoked by jti, by whole token, by subject, by client and by session, each revocation then denying it', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.record({ sub: id, jti: id, client: id, sid: id }), async (claims) => {
        fc.pre(WAYS.every((way) => !used[way].has(idOf(way, claims))));
        for (const way of WAYS) used[way].add(idOf(way, claims));
        runs++;
        // Prepare: one token per way, each allowed.
        const nowSeconds = Math.floor(Date.now() / 1000);
        const exp = nowSeconds + 600;
        const tokens = await Promise.all(
          WAYS.map((way) =>
            issuer.token({
              iss: issuerOf(way),
              sub: claims.sub,
              jti: claims.jti,
              client_id: claims.client,
              sid: claims.sid,
              iat: nowSeconds,
              exp,
            }),
          ),
        );
        for (const token of tokens) expect(await decide(authorizer, token)).toBe('allow');

        // Act: the five revocations, one SNS message each, in one delivery.
        const published = await ingest.invoke(snsEvent(...WAYS.map((way, index) => messageFor(way, tokens[index]!, claims, exp))));

        // Assess: each denied, for its own reason, once the authorizer has synced.
        expect(published).toMatchObject({ ok: true, result: { messages: 5, revocations: 5 } });
        const answers = await Promise.all(
          WAYS.map(async (way, index) => (await until(authorizer, tokens[index]!, (outcome) => outcome !== 'allow', 5000, 25))?.outcome),
        );
        expect(answers).toEqual(WAYS.map((way) => EXPECTED[way]));
      }),
      {
        seed: 0x11,
        numRuns: 24,
        // The issue's three examples, first.
        examples: [
          [{ sub: 'u'.repeat(3000), jti: 'example-1', client: 'example-client-1', sid: 'example-sid-1' }],
          [{ sub: 'bob\u0085', jti: 'example-2', client: 'bob\u0085', sid: 'bob\u0085' }],
          [{ sub: 'example-sub-3', jti: 'x\ud800', client: 'example-client-3', sid: 's'.repeat(1025) }],
        ],
      },
    );
    expect(runs).toBeGreaterThanOrEqual(20);
  }, 180_000);
});

describe('REVOCATION_CONSISTENCY=strong with REVOCATION_FAIL_MODE=open', () => {
  it('reads a token with a subject of over 2,040 bytes consistently (no validation error, so no fail-open) and refuses its jti revoked after the cold start', async () => {
    // Prepare: before the mapping, the subject key `subject#<issuer>#<2,100 bytes>` broke DynamoDB's
    // 2,048-byte limit, every consistent read failed, and the open fail mode allowed the token.
    const strong = new BundleProcess('authorizer', {
      ...dynamo.env,
      REVOCATION_TABLE_NAME: TABLE,
      POWERTOOLS_METRICS_DISABLED: 'true',
      JWT_ISSUER: issuerOf('jti'),
      JWT_AUDIENCE: issuer.audience,
      JWKS_URI: issuer.jwksUri,
      REVOCATION_CONSISTENCY: 'strong',
      REVOCATION_FAIL_MODE: 'open',
    });
    try {
      const token = await issuer.token({ iss: issuerOf('jti'), sub: 's'.repeat(2100), jti: 'strong-long-sub' });
      expect(await decide(strong, token)).toBe('allow');

      // Act
      const published = await ingest.invoke(snsEvent(JSON.stringify({ type: 'jti', jti: 'strong-long-sub', iss: issuerOf('jti') })));
      const answer = await decide(strong, token);

      // Assess
      expect(published).toMatchObject({ ok: true, result: { applied: { jti: 1 } } });
      expect(answer).toBe('deny:revoked_jti');
      expect(strong.logLines().filter((line) => line.code === 'ERR_REVOCATION_STATE_UNAVAILABLE')).toEqual([]);
    } finally {
      await strong.stop();
    }
  });
});
