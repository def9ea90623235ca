import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedStore } from '../lambda/feed/index.js';
import { RevocationStore, type Revocation } from '../lambda/revocation/index.js';
import { createRevocationTable } from '../local/table-admin.js';
import { BundleProcess } from './support/bundle-process.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';

/**
 * The change-feed writer as Lambda runs it: dist/feed.mjs, in a fresh Node process with only
 * environment variables, invoked with a context whose remaining time counts down from 8 s, so it
 * steps for about 3 s (it stops 5 s before the timeout), against dynalite, while the ingest's store
 * writes revocations.
 */
const TABLE = 'revocations';
const ISS = 'https://issuer.example.com/';

let dynamo: LocalDynamo;
let revocations: RevocationStore;
let feed: FeedStore;
const processes: BundleProcess[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  await createRevocationTable(dynamo.client, TABLE);
  revocations = new RevocationStore(dynamo.client, TABLE);
  feed = new FeedStore(dynamo.client, TABLE);
});
afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await dynamo.stop();
});

const jti = (id: string): Revocation => ({
  kind: 'jti',
  issuer: ISS,
  jti: id,
  expiresAtEpochSeconds: Math.floor(Date.now() / 1000) + 3600,
});

function start(env: Record<string, string>, timeoutMs = 8000): BundleProcess {
  const child = new BundleProcess('feed', { ...dynamo.env, REVOCATION_TABLE_NAME: TABLE, ...env }, { timeoutMs });
  processes.push(child);
  return child;
}

describe('dist/feed.mjs', () => {
  it('publishes revocations written before and during its run as pages, the head counting them, and its metrics', async () => {
    await revocations.applyRevocations([jti('before-1'), jti('before-2')]);
    const writer = start({ FEED_INTERVAL_MS: '250' });
    const startedMs = Date.now();

    const running = writer.invoke({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await revocations.applyRevocations([jti('during')]);
    const invocation = await running;
    const elapsedMs = Date.now() - startedMs;

    if (!invocation.ok) throw new Error(`the feed function failed: ${JSON.stringify(invocation.error)}\n${writer.output}`);
    const report = invocation.result as { steps: number; failures: number; pages: number; entries: number };
    expect(report.failures).toBe(0);
    expect(report.entries).toBe(3);
    expect(report.steps).toBeGreaterThanOrEqual(6);
    expect(elapsedMs).toBeGreaterThan(2500);
    expect(elapsedMs).toBeLessThan(6000);
    const head = await feed.readHeadConsistent();
    expect(head).toMatchObject({ seq: report.pages });
    expect(head!.atMs).toBeGreaterThan(startedMs);
    const published: string[] = [];
    const pages = await feed.readPages(1, head!.seq, Date.now() / 1000, (revocation) =>
      published.push((revocation as { jti: string }).jti),
    );
    expect(pages.missing).toBeUndefined();
    expect(published.sort()).toEqual(['before-1', 'before-2', 'during']);
    // Every step publishes its EMF line; CloudWatch turns these into the FeedPages, FeedEntries and FeedLagMs metrics.
    const metrics = writer.logLines().filter((line) => 'FeedLagMs' in line);
    expect(metrics.length).toBe(report.steps);
    expect(metrics.reduce((sum, line) => sum + (line.FeedEntries as number), 0)).toBe(3);
    expect(metrics[0]).toMatchObject({ service: 'revocation-feed', FeedStepFailures: 0, FeedEntriesSkipped: 0 });
  });

  it('fails the invocation when no step succeeded, each failure counted in FeedStepFailures', async () => {
    const writer = start({ REVOCATION_TABLE_NAME: 'no-such-table', FEED_INTERVAL_MS: '500' }, 6500);

    const invocation = await writer.invoke({});

    expect(invocation).toMatchObject({ ok: false, error: { code: 'ERR_REVOCATION_STATE_UNAVAILABLE' } });
    const failures = writer.logLines().filter((line) => line.FeedStepFailures === 1);
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(writer.logLines().some((line) => line.message === 'change feed step failed' && line.level === 'ERROR')).toBe(true);
  });

  it('refuses a FEED_INTERVAL_MS out of bounds at its cold start, naming the variable and the range', async () => {
    const writer = start({ FEED_INTERVAL_MS: '5' });

    const invocation = await writer.invoke({});

    expect(invocation.ok).toBe(false);
    expect(writer.output).toContain('FEED_INTERVAL_MS must be a whole number of milliseconds (100 to 60000), got "5"');
  });
});
