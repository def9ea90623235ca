import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedStore, FeedWriter } from '../lambda/feed/index.js';
import { RevocationStore, type Revocation } from '../lambda/revocation/index.js';
import { createRevocationTable } from '../local/table-admin.js';
import { BundleProcess } from './support/bundle-process.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { TestIssuer } from './support/issuer.js';
import { decide, sleep, until } from './hardening/support/decisions.js';
import { DynamoProxy } from './hardening/support/dynamo-proxy.js';

/**
 * An authorizer instance following the change feed (docs/scale.md, "The change feed") through the
 * built bundle: a feed writer (lambda/feed, in this process) publishes to dynalite, a proxy in
 * front of dynalite counts what dist/authorizer.mjs asks the table.
 */

const INTERVAL_MS = 200;

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let tables = 0;
const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
});
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await Promise.all([dynamo?.stop(), issuer?.stop()]);
});

/** A table with a feed writer stepping every INTERVAL_MS, an authorizer instance behind a counting proxy. */
async function followingInstance() {
  const name = `feed-${++tables}`;
  await createRevocationTable(dynamo.client, name);
  const store = new RevocationStore(dynamo.client, name);
  const writer = new FeedWriter(store, new FeedStore(dynamo.client, name), { overlapMs: 1000, intervalMs: INTERVAL_MS });
  const controller = new AbortController();
  const running = writer.run(Number.MAX_SAFE_INTEGER, { signal: controller.signal });
  stops.push(async () => {
    controller.abort();
    await running.catch(() => {});
    // An aborted request stops the client waiting, not dynalite working: let it finish before it closes.
    await sleep(500);
  });
  const proxy = await DynamoProxy.start(dynamo.endpoint);
  stops.push(() => proxy.stop());
  const child = new BundleProcess('authorizer', {
    ...dynamo.env,
    ...issuer.env,
    AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    REVOCATION_TABLE_NAME: name,
    REVOCATION_SYNC_INTERVAL_MS: String(INTERVAL_MS),
    REVOCATION_SYNC_OVERLAP_MS: '1000',
    REVOCATION_FEED_MAX_LAG_MS: '2000',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  stops.push(() => child.stop());
  return { store, proxy, child };
}

const revokeJti = (jti: string): Revocation => ({
  kind: 'jti',
  issuer: issuer.issuer,
  jti,
  expiresAtEpochSeconds: Math.floor(Date.now() / 1000) + 3660,
});

describe.concurrent('dist/authorizer.mjs following the change feed', () => {
  it('reads one head item per sync while idle once it found its place, and never queries the change index again', async () => {
    const { proxy, child } = await followingInstance();
    const token = await issuer.token();
    expect(await decide(child, token)).toBe('allow');
    // Its place: one query after the load (at most a few while the feed starts).
    await sleep(1500);
    await decide(child, token);
    const queriesBefore = proxy.count('Query', 'pass');
    const headReadsBefore = proxy.count('GetItem', 'pass');

    const endMs = performance.now() + 2000;
    while (performance.now() < endMs) {
      expect(await decide(child, token)).toBe('allow');
      await sleep(40);
    }

    expect(proxy.count('Query', 'pass')).toBe(queriesBefore);
    expect(proxy.count('BatchGetItem', 'pass')).toBe(0);
    const headReads = proxy.count('GetItem', 'pass') - headReadsBefore;
    expect(headReads).toBeGreaterThanOrEqual(5);
    expect(headReads).toBeLessThanOrEqual(11);
  });

  it('enforces a revocation from the feed page that carries it, without a query of the change index', async () => {
    const { store, proxy, child } = await followingInstance();
    const token = await issuer.token({ jti: 'revoked-through-the-feed' });
    expect(await decide(child, token)).toBe('allow');
    await sleep(1500);
    await decide(child, token);
    const queriesBefore = proxy.count('Query', 'pass');

    await store.applyRevocations([revokeJti('revoked-through-the-feed')]);
    const denied = await until(child, token, (outcome) => outcome === 'deny:revoked_jti', 5000);

    // The writer's step (at most an interval), then the instance's sync (at most another).
    expect(denied?.afterMs).toBeLessThan(3 * INTERVAL_MS + 500);
    expect(proxy.count('BatchGetItem', 'pass')).toBeGreaterThan(0);
    expect(proxy.count('Query', 'pass')).toBe(queriesBefore);
  });
});
