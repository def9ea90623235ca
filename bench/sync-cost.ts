/**
 * What keeping one authorizer instance current costs the table (docs/scale.md, "Delta sync and the
 * fleet", "The change feed"): read units per instance-second of sync, per request kind, with the
 * change head alone and with the change feed, idle and under steady traffic; and what the writers
 * (the ingest, the feed writer) spend. Real parts: RevocationStore, FeedStore, FeedWriter and
 * RevocationView against dynalite, every request sent with ReturnConsumedCapacity=TOTAL, so the
 * units are dynalite's application of DynamoDB's size rules (4 KB per read unit, halved for an
 * eventually consistent read, each BatchGetItem item rounded up on its own; 1 KB per write unit).
 * One rule dynalite leaves out is added here: DynamoDB charges at least 0.5 units for a Query that
 * reads nothing, where dynalite reports 0.
 *
 * Time is simulated (every clock the parts read is one counter), so a minute of syncs takes
 * seconds: each simulated second the ingest writes its revocations, then the feed writer steps, then
 * the instance syncs (REVOCATION_SYNC_INTERVAL_MS 1000, FEED_INTERVAL_MS 1000).
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULTS } from '../lambda/contract/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeedStore, FeedWriter } from '../lambda/feed/index.js';
import { FileSnapshotStore, SnapshotWriter } from '../lambda/snapshot/index.js';
import { RevocationStore, RevocationView, type Revocation, type RevocationSettings } from '../lambda/revocation/index.js';
import { createRevocationTable, importRevocations } from '../local/table-admin.js';

export interface SyncCostScenario {
  readonly mode: 'head' | 'feed';
  readonly revocationsPerSecond: number;
  readonly seconds: number;
}

export interface SyncCostFigures extends SyncCostScenario {
  /** Read units the instance spent, per simulated second (= per instance-second at a 1 s interval). */
  readonly readUnitsPerInstanceSecond: number;
  /** The instance's requests per simulated second, by operation. */
  readonly requestsPerSecond: Readonly<Record<string, number>>;
  /** Read units of one head GetItem and of one page read (BatchGetItem per page), as measured; null when none was sent. */
  readonly headReadUnits: number | null;
  readonly pageReadUnits: number | null;
  /** Read units of one change-index Query (one shard); null when none was sent. */
  readonly queryReadUnits: number | null;
  /** Feed pages the instance read per simulated second. */
  readonly pagesPerSecond: number;
  /** Mean bytes of a published page's entries attribute, and per entry; null without pages. */
  readonly pageBytes: number | null;
  readonly bytesPerEntry: number | null;
  /** Write units per simulated second: the ingest's (revocations and head raises) and the feed writer's (pages and head). */
  readonly ingestWriteUnitsPerSecond: number;
  readonly feedWriteUnitsPerSecond: number;
  /** Read units per second of the feed writer's own change-index queries. */
  readonly feedReadUnitsPerSecond: number;
  /** Revocations the instance did not hold at the end (must be 0). */
  readonly missing: number;
}

/** Units and requests per operation, as a client's responses report them. */
class CapacityMeter {
  readonly units = new Map<string, number>();
  readonly requests = new Map<string, number>();

  attach(client: DynamoDBClient): DynamoDBClient {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        const operation = String(context.commandName).replace(/Command$/, '');
        const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] })
          .ConsumedCapacity;
        const reported = (Array.isArray(consumed) ? consumed : [consumed]).reduce((sum, entry) => sum + (entry?.CapacityUnits ?? 0), 0);
        const isRead = operation === 'Query' || operation === 'Scan' || operation === 'GetItem' || operation === 'BatchGetItem';
        this.add(operation, isRead ? Math.max(0.5, reported) : reported);
        return result;
      },
      { step: 'initialize', name: 'capacityMeter' },
    );
    return client;
  }

  reset(): void {
    this.units.clear();
    this.requests.clear();
  }

  total(): number {
    return [...this.units.values()].reduce((sum, units) => sum + units, 0);
  }

  private add(operation: string, units: number): void {
    this.units.set(operation, (this.units.get(operation) ?? 0) + units);
    this.requests.set(operation, (this.requests.get(operation) ?? 0) + 1);
  }
}

/** dynalite's region and credentials (it checks neither). */
const LOCAL_CLIENT = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/** The bench's tokens live an hour, as the bench tables' revocations are sized for. */
const RULES = { maxTokenLifetimeSeconds: 3600, clockToleranceSeconds: 60 };

/** An authorizer instance's revocation settings as deployed (the defaults), at a 1 s sync interval. */
function viewSettings(tableName: string, scanSegments: number): RevocationSettings {
  return {
    tableName,
    syncIntervalMs: 1000,
    maxStalenessMs: DEFAULTS.maxStalenessMs,
    failMode: 'closed',
    consistency: 'eventual',
    scanSegments,
    syncOverlapMs: DEFAULTS.syncOverlapMs,
    fullSyncIntervalMs: DEFAULTS.fullSyncIntervalMs,
    feedMaxLagMs: DEFAULTS.feedMaxLagMs,
  };
}

/** One scenario on a table of its own at `endpoint` (dynalite). */
export async function measureSyncCost(endpoint: string, issuer: string, scenario: SyncCostScenario): Promise<SyncCostFigures> {
  const meters = { instance: new CapacityMeter(), ingest: new CapacityMeter(), feed: new CapacityMeter() };
  const client = (meter: CapacityMeter) => meter.attach(new DynamoDBClient({ ...LOCAL_CLIENT, endpoint }));
  const tableName = `sync-cost-${scenario.mode}-${scenario.revocationsPerSecond}-${randomUUID().slice(0, 8)}`;
  const admin = new DynamoDBClient({ ...LOCAL_CLIENT, endpoint });
  await createRevocationTable(admin, tableName);
  const clock = { ms: Date.now() };
  const now = () => clock.ms;
  const settings = viewSettings(tableName, 1);
  const instanceClient = client(meters.instance);
  const feedClient = client(meters.feed);
  const view = new RevocationView({
    reader: new RevocationStore(instanceClient, tableName, { now }),
    ...(scenario.mode === 'feed' ? { feedReader: new FeedStore(instanceClient, tableName) } : {}),
    settings,
    rules: RULES,
    now,
    monotonicNow: now,
  });
  // As the construct deploys them: with the feed on, the ingest raises the change head only while no feed is live.
  const ingest = new RevocationStore(client(meters.ingest), tableName, { now, raiseChangeHead: scenario.mode === 'head' ? true : 'auto' });
  const writer =
    scenario.mode === 'feed'
      ? new FeedWriter(new RevocationStore(feedClient, tableName, { now }), new FeedStore(feedClient, tableName), {
          overlapMs: settings.syncOverlapMs,
          intervalMs: 1000,
          now,
        })
      : undefined;
  const pageSizes: { bytes: number; entries: number; pages: number }[] = [];
  const written: string[] = [];
  const second = async () => {
    clock.ms += 250;
    if (scenario.revocationsPerSecond > 0) {
      const batch: Revocation[] = Array.from({ length: scenario.revocationsPerSecond }, () => {
        const jti = randomUUID();
        written.push(jti);
        return { kind: 'jti', issuer, jti, expiresAtEpochSeconds: Math.floor(clock.ms / 1000) + 3600 };
      });
      await ingest.applyRevocations(batch);
    }
    clock.ms += 250;
    const report = await writer?.step();
    if (report !== undefined && report.pages > 0) pageSizes.push({ bytes: report.bytes, entries: report.entries, pages: report.pages });
    clock.ms += 500;
    await view.sync();
  };
  await view.load();
  // Long enough for the instance to take its place in the feed (an overlap and a sync).
  for (let i = 0; i < 10; i++) await second();
  for (const meter of Object.values(meters)) meter.reset();
  pageSizes.length = 0;
  const pagesBefore = view.counters.feedPages;
  for (let i = 0; i < scenario.seconds; i++) await second();

  const instance = meters.instance;
  const per = (value: number) => value / scenario.seconds;
  const unitsPer = (operation: string) =>
    (instance.requests.get(operation) ?? 0) === 0 ? null : instance.units.get(operation)! / instance.requests.get(operation)!;
  const pagesRead = view.counters.feedPages - pagesBefore;
  const sum = (field: 'bytes' | 'entries' | 'pages') => pageSizes.reduce((total, step) => total + step[field], 0);
  const pageBytes = pageSizes.length === 0 ? null : sum('bytes') / sum('pages');
  const entries = sum('entries');
  const nowMs = clock.ms;
  const missing = written.filter(
    (jti) =>
      view.lookup(
        {
          issuer,
          revocationIds: { jti, subject: undefined, client: undefined, session: undefined, signatures: [] },
          issuedAtEpochSeconds: undefined,
        },
        nowMs,
      ) === undefined,
  ).length;
  return {
    ...scenario,
    readUnitsPerInstanceSecond: per(instance.total()),
    requestsPerSecond: Object.fromEntries([...instance.requests].map(([operation, count]) => [operation, per(count)])),
    headReadUnits: unitsPer('GetItem'),
    pageReadUnits: pagesRead === 0 ? null : (instance.units.get('BatchGetItem') ?? 0) / pagesRead,
    queryReadUnits: unitsPer('Query'),
    pagesPerSecond: per(pagesRead),
    pageBytes,
    bytesPerEntry: pageBytes === null || entries === 0 ? null : sum('bytes') / entries,
    ingestWriteUnitsPerSecond: per(meters.ingest.units.get('UpdateItem') ?? 0),
    feedWriteUnitsPerSecond: per((meters.feed.units.get('PutItem') ?? 0) + (meters.feed.units.get('UpdateItem') ?? 0)),
    feedReadUnitsPerSecond: per((meters.feed.units.get('Query') ?? 0) + (meters.feed.units.get('GetItem') ?? 0)),
    missing,
  };
}

/** Read units one cold start spends on the table, by how it loads. */
export interface ColdStartReadUnits {
  readonly revocations: number;
  /** A parallel Scan of the whole table (REVOCATION_SCAN_SEGMENTS 4). */
  readonly scanUnits: number;
  readonly scanRequests: number;
  /** A snapshot (read from a file here; one S3 GET on AWS, no read units) plus the delta read of the change index since it. */
  readonly snapshotUnits: number;
  readonly snapshotRequests: number;
}

/**
 * What one cold start reads from the table with and without a snapshot, at `revocations` UUID-jti
 * revocations (docs/scale.md, "Cold-start Scan"): a RevocationView load on a metered client, once
 * scanning, once from a snapshot the snapshot writer just wrote.
 */
export async function measureColdStartReadUnits(endpoint: string, issuer: string, revocations: number): Promise<ColdStartReadUnits> {
  const admin = new DynamoDBClient({ ...LOCAL_CLIENT, endpoint });
  const tableName = `cold-start-units-${revocations}-${randomUUID().slice(0, 8)}`;
  await createRevocationTable(admin, tableName);
  const expiresAtEpochSeconds = Math.floor(Date.now() / 1000) + 3600;
  await importRevocations(
    admin,
    tableName,
    Array.from({ length: revocations }, () => ({ kind: 'jti', issuer, jti: randomUUID(), expiresAtEpochSeconds }) as Revocation),
    { concurrency: 16, nowMs: Date.now() - 600_000 },
  );
  const settings = viewSettings(tableName, 4);
  const directory = await mkdtemp(join(tmpdir(), 'bench-cold-start-units-'));
  try {
    const store = new FileSnapshotStore(join(directory, 'revocations.snapshot'));
    await new SnapshotWriter({
      reader: new RevocationStore(admin, tableName),
      settings,
      rules: RULES,
      store,
      rescanIntervalMs: 3_600_000,
    }).write();
    const load = async (withSnapshot: boolean) => {
      const meter = new CapacityMeter();
      const client = meter.attach(new DynamoDBClient({ ...LOCAL_CLIENT, endpoint }));
      const view = new RevocationView({
        reader: new RevocationStore(client, tableName),
        settings,
        rules: RULES,
        ...(withSnapshot ? { snapshotSource: store } : {}),
      });
      if (!(await view.load()))
        throw new Error(`the cold start${withSnapshot ? ' from a snapshot' : ''} failed: ${String(view.lastError)}`);
      if (view.entryCount !== revocations) throw new Error(`the cold start loaded ${view.entryCount} of ${revocations} revocations`);
      if (withSnapshot !== view.counters.snapshotLoads > 0) throw new Error('the snapshot was not used');
      client.destroy();
      return { units: meter.total(), requests: [...meter.requests.values()].reduce((sum, count) => sum + count, 0) };
    };
    const scan = await load(false);
    const snapshot = await load(true);
    return {
      revocations,
      scanUnits: scan.units,
      scanRequests: scan.requests,
      snapshotUnits: snapshot.units,
      snapshotRequests: snapshot.requests,
    };
  } finally {
    admin.destroy();
    await rm(directory, { recursive: true, force: true });
  }
}
