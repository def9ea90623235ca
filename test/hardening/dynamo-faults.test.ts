import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { type Revocation, RevocationStore } from '../../lambda/revocation/index.js';
import { snsEvent } from '../../local/sns-event.js';
import { BundleProcess } from '../support/bundle-process.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { TestIssuer } from '../support/issuer.js';
import { decide, sleep, until, type Outcome } from './support/decisions.js';
import { DynamoProxy, seededRandom } from './support/dynamo-proxy.js';
import { createRevocationTable } from '../../local/table-admin.js';

/**
 * DynamoDB faults against the built bundles, through a proxy that drops connections or answers
 * ProvisionedThroughputExceededException: at cold start, while warm, flapping, under load and
 * during ingest. The documented outcomes: fail closed (500) when the view cannot be loaded or is
 * older than REVOCATION_MAX_STALENESS_MS, answer from memory within it, converge once DynamoDB
 * answers again, and lose nothing that was acknowledged.
 */

const SYNC_INTERVAL_MS = 200;
const MAX_STALENESS_MS = 1200;

let dynamo: LocalDynamo;
let issuer: TestIssuer;
const proxies: DynamoProxy[] = [];
let tables = 0;
const processes: BundleProcess[] = [];

beforeAll(async () => {
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
});
afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await Promise.all(proxies.map((proxy) => proxy.stop()));
  await Promise.all([dynamo?.stop(), issuer?.stop()]);
});

async function newTable(): Promise<{ name: string; store: RevocationStore }> {
  const name = `revocations-${++tables}`;
  const store = new RevocationStore(dynamo.client, name);
  await createRevocationTable(dynamo.client, name);
  return { name, store };
}

/** A proxy of the test's own in front of the shared dynalite, so tests can run side by side. */
async function newProxy(): Promise<DynamoProxy> {
  const proxy = await DynamoProxy.start(dynamo.endpoint);
  proxies.push(proxy);
  return proxy;
}

function authorizer(table: string, proxy: DynamoProxy, env: Record<string, string> = {}): BundleProcess {
  const child = new BundleProcess('authorizer', {
    ...dynamo.env,
    ...issuer.env,
    AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    REVOCATION_TABLE_NAME: table,
    REVOCATION_SYNC_INTERVAL_MS: String(SYNC_INTERVAL_MS),
    REVOCATION_MAX_STALENESS_MS: String(MAX_STALENESS_MS),
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...env,
  });
  processes.push(child);
  return child;
}

const exp = () => Math.floor(Date.now() / 1000) + 3600;
const revokeJti = (jti: string): Revocation => ({ kind: 'jti', issuer: issuer.issuer, jti, expiresAtEpochSeconds: exp() + 60 });

describe.concurrent('DynamoDB at cold start, and during ingest', () => {
  it('retries a throttled scan, loads, and decides the first request correctly', async () => {
    // Prepare: the first four Scan requests are throttled.
    const { name, store } = await newTable();
    const proxy = await newProxy();
    await store.applyRevocations([revokeJti('cold-throttled')]);
    let throttles = 4;
    proxy.policy = (operation) => (operation === 'Scan' && throttles-- > 0 ? 'throttle' : 'pass');
    // The SDK waits up to a second per throttled attempt; a staleness bound of 30 s gives the load a
    // 30 s deadline, so a loaded CI machine tests the retries rather than the 5 s default deadline.
    const child = authorizer(name, proxy, { REVOCATION_SCAN_SEGMENTS: '2', REVOCATION_MAX_STALENESS_MS: '30000' });

    // Act
    const revoked = await decide(child, await issuer.token({ jti: 'cold-throttled' }));
    const valid = await decide(child, await issuer.token());

    // Assess
    expect([revoked, valid]).toEqual(['deny:revoked_jti', 'allow']);
    expect(proxy.count('Scan', 'throttle')).toBe(4);
    expect(proxy.count('Scan', 'pass')).toBeGreaterThanOrEqual(2);
  });

  it('fails closed while unreachable, then loads on a later request and enforces what is in the table', async () => {
    // Prepare
    const { name, store } = await newTable();
    const proxy = await newProxy();
    await store.applyRevocations([revokeJti('cold-down')]);
    proxy.down = true;
    const child = authorizer(name, proxy);
    const revokedToken = await issuer.token({ jti: 'cold-down' });

    // Act
    const whileDown = [await decide(child, revokedToken), await decide(child, await issuer.token())];
    proxy.down = false;
    const afterwards = [await decide(child, revokedToken), await decide(child, await issuer.token())];

    // Assess
    expect(whileDown).toEqual(['error:ERR_REVOCATION_STATE_UNAVAILABLE', 'error:ERR_REVOCATION_STATE_UNAVAILABLE']);
    expect(afterwards).toEqual(['deny:revoked_jti', 'allow']);
  });

  async function items(table: string): Promise<Record<string, AttributeValue>[]> {
    const found: Record<string, AttributeValue>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: startKey }));
      found.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return found.sort((a, b) => (a.pk!.S! < b.pk!.S! ? -1 : 1));
  }

  it('fails a delivery it cannot write, then converges under throttling to the state of an undisturbed delivery', async () => {
    // Prepare: the same message for a faulty path and a control path, both at the same frozen clock.
    const clockMs = Date.now();
    const faulty = await newTable();
    const control = await newTable();
    const proxy = await newProxy();
    const env = { ...dynamo.env, POWERTOOLS_METRICS_DISABLED: 'true' };
    const faultyIngest = new BundleProcess(
      'ingest',
      { ...env, AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint, REVOCATION_TABLE_NAME: faulty.name },
      { clockMs },
    );
    const controlIngest = new BundleProcess('ingest', { ...env, REVOCATION_TABLE_NAME: control.name }, { clockMs });
    processes.push(faultyIngest, controlIngest);
    const message = JSON.stringify({
      revocations: [
        ...Array.from({ length: 80 }, (_, i) => ({ type: 'jti', jti: `ingest-${i}`, exp: Math.floor(clockMs / 1000) + 600 })),
        ...Array.from({ length: 20 }, (_, i) => ({ type: 'subject', sub: `user-${i}`, revokedAt: clockMs - 1000 - i })),
        ...Array.from({ length: 20 }, (_, i) => ({ type: 'client', clientId: `app-${i}`, revokedAt: clockMs - 2000 - i })),
      ],
    });
    const event = snsEvent(message);

    // Act: the first delivery meets a table that drops every connection; the redelivery (Lambda's
    // retry) meets one that throttles 30% of writes.
    proxy.down = true;
    const first = await faultyIngest.invoke(event);
    const random = seededRandom(7);
    proxy.policy = (operation) => (operation === 'UpdateItem' && random() < 0.3 ? 'throttle' : 'pass');
    const retry = await faultyIngest.invoke(event);
    const reference = await controlIngest.invoke(event);

    // Assess
    expect(first).toMatchObject({ ok: false, error: { code: 'ERR_REVOCATION_WRITE_FAILED' } });
    expect(retry).toMatchObject({ ok: true, result: { revocations: 120 } });
    expect(reference).toMatchObject({ ok: true, result: { applied: { jti: 80, subject: 20, client: 20 } } });
    expect(proxy.count('UpdateItem', 'throttle')).toBeGreaterThan(15);
    expect(await items(faulty.name)).toEqual(await items(control.name));
    expect(faultyIngest.logLines().some((line) => line.code === 'ERR_REVOCATION_WRITE_FAILED')).toBe(true);
  });
});

describe('DynamoDB while warm', () => {
  it('flapping: answers from memory within the staleness bound, fails closed after it, recovers, and loses no revocation', async () => {
    // Prepare: a warm instance, a revoked and a valid token.
    const { name, store } = await newTable();
    const proxy = await newProxy();
    await store.applyRevocations([revokeJti('flap-revoked')]);
    const child = authorizer(name, proxy);
    const revoked = await issuer.token({ jti: 'flap-revoked' });
    const valid = await issuer.token({ jti: 'flap-valid' });
    expect([await decide(child, revoked), await decide(child, valid)]).toEqual(['deny:revoked_jti', 'allow']);

    // Act 1: a long outage. Revocations are still written (the table is up; the instance cannot read it).
    const probes: { atMs: number; revokedOutcome: Outcome; validOutcome: Outcome }[] = [];
    proxy.down = true;
    const downAt = performance.now();
    const writtenDuringOutage = await issuer.token({ jti: 'flap-written-while-down' });
    await store.applyRevocations([revokeJti('flap-written-while-down')]);
    while (performance.now() - downAt < MAX_STALENESS_MS + 1100) {
      const atMs = performance.now() - downAt;
      probes.push({ atMs, revokedOutcome: await decide(child, revoked), validOutcome: await decide(child, valid) });
      await sleep(40);
    }
    proxy.down = false;
    const upAt = performance.now();
    const recovered = await until(child, valid, (outcome) => outcome === 'allow', 3000);
    const enforcedAfterUp = await until(child, writtenDuringOutage, (outcome) => outcome === 'deny:revoked_jti', 3000);
    const enforcedAfterMs = performance.now() - upAt;

    // Act 2: two short outages, each shorter than the staleness bound.
    const shortOutcomes: Outcome[] = [];
    const writtenInFlaps: string[] = [];
    for (let flap = 0; flap < 2; flap++) {
      proxy.down = true;
      const token = await issuer.token({ jti: `flap-short-${flap}` });
      await store.applyRevocations([revokeJti(`flap-short-${flap}`)]);
      writtenInFlaps.push(token);
      const flapAt = performance.now();
      while (performance.now() - flapAt < 500) {
        shortOutcomes.push(await decide(child, valid), await decide(child, revoked));
        await sleep(30);
      }
      proxy.down = false;
      const upAgainAt = performance.now();
      while (performance.now() - upAgainAt < 300) {
        shortOutcomes.push(await decide(child, valid), await decide(child, revoked));
        await sleep(30);
      }
    }
    const flapsEnforced: Outcome[] = [];
    for (const token of writtenInFlaps) flapsEnforced.push(await decide(child, token));

    // Assess: the revoked token is never allowed; the valid one is allowed while the view is
    // fresh enough, and nothing at all is answered from a view older than the bound.
    expect(probes.length).toBeGreaterThan(10);
    expect(probes.filter((probe) => probe.revokedOutcome === 'allow')).toEqual([]);
    // The view was at most a sync interval old when the outage began (requests were flowing), so
    // the start of the outage is answered from memory (bound minus interval, minus a margin).
    const early = probes.filter((probe) => probe.atMs < MAX_STALENESS_MS - SYNC_INTERVAL_MS - 350);
    expect(early.length).toBeGreaterThan(3);
    expect(early.every((probe) => probe.validOutcome === 'allow' && probe.revokedOutcome === 'deny:revoked_jti')).toBe(true);
    // Past the bound (plus the time a request takes on a loaded machine): fail closed, 500.
    const late = probes.filter((probe) => probe.atMs > MAX_STALENESS_MS + 500);
    expect(late.length).toBeGreaterThan(3);
    expect(new Set(late.flatMap((probe) => [probe.validOutcome, probe.revokedOutcome]))).toEqual(
      new Set(['error:ERR_REVOCATION_STATE_UNAVAILABLE']),
    );
    // Once failing, it stays failing until DynamoDB answers: no allow after the first error.
    const firstError = probes.findIndex((probe) => probe.validOutcome.startsWith('error:'));
    expect(probes.slice(firstError).every((probe) => probe.validOutcome.startsWith('error:'))).toBe(true);
    // Recovery: back within a sync interval (plus margin), and the revocation written during the
    // outage is enforced right away: the delta sync reads back from the last good view.
    expect(recovered).toBeDefined();
    expect(recovered!.afterMs).toBeLessThan(SYNC_INTERVAL_MS + 1500);
    expect(enforcedAfterUp?.outcome).toBe('deny:revoked_jti');
    expect(enforcedAfterMs).toBeLessThan(SYNC_INTERVAL_MS + 1500);
    // Short flaps are invisible: no errors, correct answers, and what was written during them is enforced.
    expect(new Set(shortOutcomes)).toEqual(new Set(['allow', 'deny:revoked_jti']));
    expect(flapsEnforced).toEqual(['deny:revoked_jti', 'deny:revoked_jti']);
  });

  it('under load with throttled delta reads and revocations streaming in: no errors, no valid token refused, every revocation enforced within the staleness bound', async () => {
    // Prepare: 40 tokens; 20% of the delta Query requests throttled (seeded). A staleness bound of
    // its own: a throttled read is retried by the SDK after a throttling backoff, so syncs run long.
    const { name, store } = await newTable();
    const proxy = await newProxy();
    const stalenessMs = 3000;
    const child = authorizer(name, proxy, { REVOCATION_MAX_STALENESS_MS: String(stalenessMs) });
    const pool = await Promise.all(Array.from({ length: 40 }, (_, i) => issuer.token({ jti: `load-${i}`, sub: `user-${i}` })));
    expect(await decide(child, pool[0]!)).toBe('allow');
    const random = seededRandom(42);
    proxy.policy = (operation) => (operation === 'Query' && random() < 0.2 ? 'throttle' : 'pass');
    const revokedAt = new Map<number, number>();
    const requests: { index: number; startedAt: number; outcome: Outcome }[] = [];
    const startedAt = performance.now();
    const durationMs = 2000;

    // Act: one writer revokes 8 tokens, 100 ms apart, while requests run back to back until it is
    // done and for the rest of the run (so many requests meet the throttled reads, however slow the
    // machine: each revocation is 33 writes, the revocation and the 32 change-head items).
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 8; i++) {
        await store.applyRevocations([revokeJti(`load-${i * 2}`)]);
        revokedAt.set(i * 2, performance.now());
        await sleep(100);
      }
      writing = false;
    })();
    let next = 0;
    while (writing || performance.now() - startedAt < durationMs || requests.length <= 100) {
      const index = next++ % pool.length;
      const requestStart = performance.now();
      requests.push({ index, startedAt: requestStart, outcome: await decide(child, pool[index]!) });
    }
    await writer;

    // Assess
    const errors = requests.filter((request) => request.outcome.startsWith('error:'));
    const validRefused = requests.filter((request) => !revokedAt.has(request.index) && request.outcome !== 'allow');
    const late = requests.filter((request) => {
      const at = revokedAt.get(request.index);
      return at !== undefined && request.outcome === 'allow' && request.startedAt > at + stalenessMs;
    });
    const lateness = requests
      .filter((request) => revokedAt.has(request.index) && request.outcome === 'allow' && request.startedAt > revokedAt.get(request.index)!)
      .map((request) => request.startedAt - revokedAt.get(request.index)!);
    expect(requests.length).toBeGreaterThan(100);
    expect(proxy.count('Query', 'throttle')).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    expect(validRefused).toEqual([]);
    expect(late).toEqual([]);
    expect(revokedAt.size).toBe(8);
    proxy.policy = () => 'pass';
    for (const index of revokedAt.keys()) expect(await decide(child, pool[index]!)).toBe('deny:revoked_jti');
    console.info(
      `throttled load: ${requests.length} requests in ${Math.round(performance.now() - startedAt)} ms, ${proxy.count('Query', 'throttle')} Query throttled, ` +
        `${revokedAt.size} revocations, latest enforcement ${Math.round(Math.max(0, ...lateness))} ms after the write`,
    );
  });
});
