import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationStore, type Revocation } from '../../lambda/revocation/index.js';
import { createRevocationTable } from '../../local/table-admin.js';
import { BundleProcess } from '../support/bundle-process.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { TestIssuer } from '../support/issuer.js';
import { decide, sleep, until, type Outcome } from './support/decisions.js';
import { DynamoProxy } from './support/dynamo-proxy.js';

/**
 * Issue 11, items 5 and 6, against the built authorizer with DynamoDB behind a real HTTP proxy:
 * - a delta read whose answer is trickled (headers at once, then a byte a second) is abandoned at
 *   its deadline, so the staleness rule decides within REVOCATION_MAX_STALENESS_MS, not the socket;
 * - a wall clock stepped back five minutes on a warm instance stops neither the syncs nor the
 *   fail-closed check (intervals and ages run on the monotonic clock).
 * Each failed before its fix: the trickled read held requests for the whole body (tens of
 * seconds), and the stepped-back clock kept a revoked jti allowed and a dead table "fresh".
 */

const UNAVAILABLE: Outcome = 'error:ERR_REVOCATION_STATE_UNAVAILABLE';

let dynamo: LocalDynamo;
let issuer: TestIssuer;
const proxies: DynamoProxy[] = [];
const processes: BundleProcess[] = [];
let tables = 0;

beforeAll(async () => {
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
});
afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await Promise.all(proxies.map((proxy) => proxy.stop()));
  await Promise.all([dynamo?.stop(), issuer?.stop()]);
});

async function setup(env: Record<string, string>): Promise<{ store: RevocationStore; proxy: DynamoProxy; child: BundleProcess }> {
  const table = `revocations-clocks-${++tables}`;
  await createRevocationTable(dynamo.client, table);
  const proxy = await DynamoProxy.start(dynamo.endpoint);
  proxies.push(proxy);
  const child = new BundleProcess('authorizer', {
    ...dynamo.env,
    ...issuer.env,
    AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    REVOCATION_TABLE_NAME: table,
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...env,
  });
  processes.push(child);
  return { store: new RevocationStore(dynamo.client, table), proxy, child };
}

/** A decision, or 'pending' if none came within `limitMs` (the test must not wait out a trickle). */
async function decideWithin(child: BundleProcess, token: string, limitMs: number): Promise<{ outcome: Outcome | 'pending'; ms: number }> {
  const startedMs = performance.now();
  const outcome = await Promise.race([decide(child, token), sleep(limitMs).then(() => 'pending' as const)]);
  return { outcome, ms: performance.now() - startedMs };
}

describe('a delta read whose answer is trickled', () => {
  it('is abandoned at its deadline: requests are answered from memory while the view may answer, then refused (500), never held for the body', async () => {
    // Prepare: a warm instance, a 3 s staleness bound (the one of the report), the answers of its
    // delta reads (the change-head GetItem, and a Query of the change index) trickled at a byte a
    // second (a `{"Count":0,...}` body takes most of a minute).
    const MAX_STALENESS_MS = 3000;
    const { store, proxy, child } = await setup({
      REVOCATION_SYNC_INTERVAL_MS: '200',
      REVOCATION_MAX_STALENESS_MS: String(MAX_STALENESS_MS),
    });
    // A change head to read (an empty `{}` answer would trickle through in two seconds), raised a minute ago.
    await store.applyRevocations(
      [{ kind: 'jti', issuer: issuer.issuer, jti: 'old', expiresAtEpochSeconds: Math.floor(Date.now() / 1000) + 3600 }],
      {
        nowMs: Date.now() - 60_000,
      },
    );
    const token = await issuer.token();
    expect(await decide(child, token)).toBe('allow');
    proxy.policy = (operation) => (operation === 'Query' || operation === 'GetItem' ? 'trickle' : 'pass');
    const trickleStartedMs = performance.now();

    // Act: ask until the fail mode answers, each request given far longer than the bound.
    const answers: { outcome: Outcome | 'pending'; ms: number }[] = [];
    while (performance.now() - trickleStartedMs < 12_000) {
      const answer = await decideWithin(child, token, 9000);
      answers.push(answer);
      if (answer.outcome !== 'allow') break;
      await sleep(100);
    }
    const failedClosedAfterMs = performance.now() - trickleStartedMs;
    proxy.policy = () => 'pass';
    const recovered = await until(child, token, (outcome) => outcome === 'allow', 8000, 100);

    // Assess: the staleness rule decided: allows while the view was fresh, then a 500, in time.
    expect(proxy.count('GetItem', 'trickle') + proxy.count('Query', 'trickle')).toBeGreaterThan(0);
    expect(answers.map((answer) => answer.outcome).filter((outcome) => outcome !== 'allow')).toEqual([UNAVAILABLE]);
    // Bounds with room for a loaded machine; before the fix the first request hung for the body.
    for (const answer of answers) expect(answer.ms).toBeLessThan(MAX_STALENESS_MS + 2000);
    expect(failedClosedAfterMs).toBeLessThan(MAX_STALENESS_MS + 3000);
    expect(recovered?.outcome).toBe('allow');
    expect(child.logLines()).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining('revocation sync failed'), error: expect.stringMatching(/deadline/) }),
    );
  }, 40_000);
});

describe('a wall clock stepped back five minutes on a warm instance', () => {
  it('stops neither the delta syncs (a jti revoked afterwards is refused) nor the fail-closed check', async () => {
    // Prepare: a warm instance; then its wall clock goes back five minutes. Its tokens are minted
    // for that clock (the verifier checks iat and exp against it).
    const MAX_STALENESS_MS = 1200;
    const { store, proxy, child } = await setup({
      REVOCATION_SYNC_INTERVAL_MS: '200',
      REVOCATION_MAX_STALENESS_MS: String(MAX_STALENESS_MS),
    });
    expect(await decide(child, await issuer.token())).toBe('allow');
    const stepMs = -5 * 60_000;
    await child.setClockOffset(stepMs);
    const steppedNow = Math.floor((Date.now() + stepMs) / 1000);
    const claims = { iat: steppedNow - 10, exp: steppedNow + 3600 };
    const valid = await issuer.token(claims);
    const revoked = await issuer.token({ ...claims, jti: 'revoked-after-the-step' });
    expect(await decide(child, revoked)).toBe('allow');

    // Act 1: the jti is revoked (written, stamped, by the real clock).
    const revocation: Revocation = {
      kind: 'jti',
      issuer: issuer.issuer,
      jti: 'revoked-after-the-step',
      expiresAtEpochSeconds: Math.floor(Date.now() / 1000) + 3600,
    };
    await store.applyRevocations([revocation]);
    const refused = await until(child, revoked, (outcome) => outcome !== 'allow', 4000, 50);

    // Act 2: the table becomes unreachable.
    proxy.down = true;
    const failedClosed = await until(child, valid, (outcome) => outcome !== 'allow', 4000 + MAX_STALENESS_MS, 50);

    // Assess
    expect(refused?.outcome).toBe('deny:revoked_jti');
    expect(failedClosed?.outcome).toBe(UNAVAILABLE);
  }, 30_000);
});
