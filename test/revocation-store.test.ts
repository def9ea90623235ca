import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { REVOCATION_TABLE_SCHEMA } from '../lambda/contract/index.js';
import {
  ANY_ISSUER,
  headKey,
  isHeadKey,
  revocationId,
  revocationKey,
  RevocationStore,
  sessionRevocation,
  shardOf,
  type Revocation,
} from '../lambda/revocation/index.js';
import { RevocationStateUnavailableError, RevocationWriteError } from '../lambda/shared/index.js';
import { createRevocationTable, importRevocations } from '../local/table-admin.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { observedClient } from './support/dynamo-faults.js';

const ISS = 'https://issuer.example.com/tenant#1';
const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;

let dynamo: LocalDynamo;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.stop());

async function newStore(options: ConstructorParameters<typeof RevocationStore>[2] = {}): Promise<RevocationStore> {
  const store = new RevocationStore(dynamo.client, `revocations-${++tables}`, options);
  await createRevocationTable(dynamo.client, store.tableName);
  return store;
}

const jti = (id: string, expiresAtEpochSeconds = NOW + 3600, issuer = ISS): Revocation => ({
  kind: 'jti',
  issuer,
  jti: id,
  expiresAtEpochSeconds,
});
const cutoff = (kind: 'subject' | 'client', id: string, revokedAtEpochMs = NOW_MS, issuer = ISS): Revocation => ({
  kind,
  issuer,
  id,
  revokedAtEpochMs,
  expiresAtEpochSeconds: Math.ceil(revokedAtEpochMs / 1000) + 86_460,
});
const session = (id: string, revokedAtEpochMs = NOW_MS, issuer = ISS): Revocation =>
  sessionRevocation(issuer, id, revokedAtEpochMs, { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 60 });

async function scanAll(store: RevocationStore, nowEpochSeconds = NOW, segments = 3): Promise<Revocation[]> {
  const found: Revocation[] = [];
  await store.scanLive(segments, nowEpochSeconds, (revocation) => found.push(revocation));
  return found;
}

async function rawItem(store: RevocationStore, revocation: Revocation) {
  const id = revocationId(revocation);
  const response = await dynamo.client.send(
    new GetItemCommand({
      TableName: store.tableName,
      Key: { pk: { S: revocationKey(revocation.kind, revocation.issuer, id) } },
      ConsistentRead: true,
    }),
  );
  return response.Item;
}

const noSleep = async () => {};

describe('RevocationStore.applyRevocations', () => {
  it('writes each kind with its TTL in epoch seconds, its shard and its update time', async () => {
    const store = await newStore();
    const revocations = [jti('token-1'), cutoff('subject', 'alice'), cutoff('client', 'app-7'), session('sid-1')];

    const result = await store.applyRevocations(revocations, { nowMs: NOW_MS });

    expect(result).toEqual({
      applied: { jti: 1, subject: 1, client: 1, session: 1 },
      unchanged: { jti: 0, subject: 0, client: 0, session: 0 },
    });
    const item = await rawItem(store, revocations[0]!);
    expect(item).toMatchObject({
      kind: { S: 'jti' },
      iss: { S: ISS },
      id: { S: 'token-1' },
      expiresAt: { N: String(NOW + 3600) },
      revokedAt: { N: String(NOW_MS) },
      updatedAt: { N: String(NOW_MS) },
    });
    expect(Number(item?.shard?.N)).toBe(shardOf(revocationKey('jti', ISS, 'token-1')));
    const subject = await rawItem(store, revocations[1]!);
    expect(subject?.revokedAt).toEqual({ N: String(NOW_MS) });
    expect(Number(subject?.expiresAt?.N)).toBe(NOW + 86_460);
    expect(await rawItem(store, revocations[3]!)).toMatchObject({
      pk: { S: `session#${encodeURIComponent(ISS)}#sid-1` },
      kind: { S: 'session' },
      id: { S: 'sid-1' },
      revokedAt: { N: String(NOW_MS) },
      expiresAt: { N: String(NOW + 86_460) },
    });
  });

  it('moves a cut-off only forward: an older or duplicate one is unchanged, not an error', async () => {
    const store = await newStore();
    await store.applyRevocations([cutoff('subject', 'alice', NOW_MS)], { nowMs: NOW_MS });

    const replay = await store.applyRevocations([cutoff('subject', 'alice', NOW_MS - 60_000), cutoff('subject', 'alice', NOW_MS)], {
      nowMs: NOW_MS + 1000,
    });
    const later = await store.applyRevocations([cutoff('subject', 'alice', NOW_MS + 5000)], { nowMs: NOW_MS + 6000 });

    expect(replay.unchanged.subject).toBe(2);
    expect(replay.applied.subject).toBe(0);
    expect(later.applied.subject).toBe(1);
    const item = await rawItem(store, cutoff('subject', 'alice'));
    expect(item?.revokedAt).toEqual({ N: String(NOW_MS + 5000) });
    expect(item?.updatedAt).toEqual({ N: String(NOW_MS + 6000) });
  });

  it('only extends a jti expiry and keeps the time it was first revoked', async () => {
    const store = await newStore();
    await store.applyRevocations([jti('token-1', NOW + 600)], { nowMs: NOW_MS });

    const shorter = await store.applyRevocations([jti('token-1', NOW + 300)], { nowMs: NOW_MS + 1000 });
    const longer = await store.applyRevocations([jti('token-1', NOW + 900)], { nowMs: NOW_MS + 2000 });

    expect(shorter.unchanged.jti).toBe(1);
    expect(longer.applied.jti).toBe(1);
    const item = await rawItem(store, jti('token-1'));
    expect(item?.expiresAt).toEqual({ N: String(NOW + 900) });
    expect(item?.revokedAt).toEqual({ N: String(NOW_MS) });
  });

  it('only extends a session’s expiry: a replayed or older revocation of it is unchanged, a later one moves both times on', async () => {
    const store = await newStore();
    await store.applyRevocations([session('sid-1', NOW_MS)], { nowMs: NOW_MS });

    const replay = await store.applyRevocations([session('sid-1', NOW_MS - 60_000), session('sid-1', NOW_MS)], { nowMs: NOW_MS + 1000 });
    const later = await store.applyRevocations([session('sid-1', NOW_MS + 5000)], { nowMs: NOW_MS + 6000 });

    expect(replay).toMatchObject({ applied: { session: 0 }, unchanged: { session: 2 } });
    expect(later.applied.session).toBe(1);
    const item = await rawItem(store, session('sid-1'));
    expect(item).toMatchObject({
      revokedAt: { N: String(NOW_MS + 5000) },
      expiresAt: { N: String(NOW + 5 + 86_460) },
      updatedAt: { N: String(NOW_MS + 6000) },
    });
    expect(await scanAll(store)).toEqual([session('sid-1', NOW_MS + 5000)]);
  });

  it('keeps the same jti under two issuers as two items', async () => {
    const store = await newStore();

    const result = await store.applyRevocations([jti('shared'), jti('shared', NOW + 3600, 'https://other.example.com')], { nowMs: NOW_MS });

    expect(result.applied.jti).toBe(2);
    expect((await scanAll(store)).map((revocation) => revocation.issuer).sort()).toEqual([ISS, 'https://other.example.com']);
  });

  it.each([
    ['a TTL in milliseconds', jti('token-1', NOW_MS + 3_600_000)],
    ['a fractional TTL', jti('token-1', NOW + 0.5)],
    ['a cut-off in seconds', { ...cutoff('client', 'app'), revokedAtEpochMs: NOW }],
    ['an empty id', cutoff('subject', '')],
    ['an id longer than a DynamoDB key allows', jti('x'.repeat(2100))],
  ])('asserts the table rules: a batch with %s is a bug in the caller, and nothing is written', async (_, bad) => {
    const store = await newStore();

    const error = await store.applyRevocations([jti('fine'), bad as Revocation], { nowMs: NOW_MS }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/^revocations\[1\] cannot be stored: /);
    expect(await scanAll(store)).toEqual([]);
  });

  it('retries throttled writes with growing, jittered backoff and then applies them', async () => {
    const observed = observedClient(dynamo);
    const delays: number[] = [];
    const store = new RevocationStore(observed.client, 'throttled', {
      sleep: async (ms) => void delays.push(ms),
      random: () => 0.5,
    });
    await createRevocationTable(dynamo.client, 'throttled');
    const throttled = () => new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    observed.failNext('UpdateItemCommand', 3, throttled);

    const result = await store.applyRevocations([jti('token-1')], { nowMs: NOW_MS, concurrency: 1 });

    expect(result.applied.jti).toBe(1);
    // Four attempts of the write, then one raise of each change-head replica.
    expect(observed.sent.get('UpdateItemCommand')).toBe(4 + REVOCATION_TABLE_SCHEMA.head.replicas);
    expect(delays).toEqual([25, 50, 100]);
  });

  it('stamps each write when it is sent, so the tail of a long batch is not stamped in the past', async () => {
    // A delta sync reads what was stamped after its previous read minus the overlap: an item
    // stamped when its batch began but written seconds later would be missed by warm instances.
    let clock = NOW_MS;
    const store = await newStore({ now: () => (clock += 1000) });
    const batch = [jti('first'), jti('second'), cutoff('subject', 'third')];

    await store.applyRevocations(batch, { concurrency: 1 });

    const stamps = await Promise.all(batch.map(async (revocation) => Number((await rawItem(store, revocation))?.updatedAt?.N)));
    expect(stamps).toEqual([NOW_MS + 1000, NOW_MS + 2000, NOW_MS + 3000]);
  });

  it('stamps a retried write again, with the time of the attempt that landed', async () => {
    const observed = observedClient(dynamo);
    let clock = NOW_MS;
    const store = new RevocationStore(observed.client, 'restamped', { sleep: noSleep, now: () => (clock += 1000) });
    await createRevocationTable(dynamo.client, 'restamped');
    observed.failNext('UpdateItemCommand', 2, () => new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

    await store.applyRevocations([jti('token-1')]);

    expect((await rawItem(store, jti('token-1')))?.updatedAt).toEqual({ N: String(NOW_MS + 3000) });
  });

  it('retries a write that timed out: every write is idempotent', async () => {
    const observed = observedClient(dynamo);
    const store = new RevocationStore(observed.client, 'timed-out', { sleep: noSleep });
    await createRevocationTable(dynamo.client, 'timed-out');
    observed.failNext('UpdateItemCommand', 1, () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));

    const result = await store.applyRevocations([jti('token-1')], { nowMs: NOW_MS });

    expect(result.applied.jti).toBe(1);
    expect(observed.sent.get('UpdateItemCommand')).toBe(2 + REVOCATION_TABLE_SCHEMA.head.replicas);
  });

  it('gives up after its attempts with a RevocationWriteError that keeps the DynamoDB error', async () => {
    const observed = observedClient(dynamo);
    const store = new RevocationStore(observed.client, 'throttled-for-good', { sleep: noSleep, maxAttempts: 3 });
    await createRevocationTable(dynamo.client, 'throttled-for-good');
    observed.failNext('UpdateItemCommand', 100, () => new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

    const error = await store.applyRevocations([jti('token-1')], { nowMs: NOW_MS }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RevocationWriteError);
    expect((error as RevocationWriteError).code).toBe('ERR_REVOCATION_WRITE_FAILED');
    expect((error as Error).cause).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(observed.sent.get('UpdateItemCommand')).toBe(3);
  });

  it('writes a large batch in parallel without exceeding its concurrency', async () => {
    const observed = observedClient(dynamo);
    const store = new RevocationStore(observed.client, 'concurrency');
    await createRevocationTable(dynamo.client, 'concurrency');
    const batch = Array.from({ length: 64 }, (_, i) => jti(`token-${i}`));

    const result = await store.applyRevocations(batch, { nowMs: NOW_MS, concurrency: 8 });

    expect(result.applied.jti).toBe(64);
    expect(observed.maxInFlight).toBeGreaterThan(1);
    expect(observed.maxInFlight).toBeLessThanOrEqual(8);
  });
});

describe('RevocationStore reads', () => {
  it('scans every live item across segments and pages, and skips expired items still in the table', async () => {
    const store = await newStore({ pageSize: 7 });
    const live = Array.from({ length: 120 }, (_, i) => jti(`live-${i}`, NOW + 10 + i));
    const expired = Array.from({ length: 30 }, (_, i) => jti(`expired-${i}`, NOW - i));
    await importRevocations(dynamo.client, store.tableName, [...live, ...expired, cutoff('client', 'app')], { nowMs: NOW_MS });

    const found = await scanAll(store, NOW, 4);

    expect(found).toHaveLength(121);
    expect(new Set(found.map(revocationId))).toEqual(new Set([...live.map((revocation) => (revocation as { jti: string }).jti), 'app']));
    expect(found.find((revocation) => revocation.kind === 'client')).toEqual(cutoff('client', 'app'));
  });

  it('filters items that expire during a read again in code', async () => {
    const store = await newStore();
    await store.applyRevocations([jti('token-1', NOW + 5)], { nowMs: NOW_MS });
    const found: Revocation[] = [];

    // The request filter is in whole seconds; a reader whose clock is past the expiry drops it.
    const summary = await store.scanLive(1, NOW + 5.5, (revocation) => found.push(revocation));

    expect(found).toEqual([]);
    expect(summary.items).toBe(0);
  });

  it('queries only the changes after a time, from every shard, across pages', async () => {
    const store = await newStore({ pageSize: 3 });
    const before = Array.from({ length: 20 }, (_, i) => jti(`before-${i}`));
    const after = Array.from({ length: 40 }, (_, i) => jti(`after-${i}`));
    await importRevocations(dynamo.client, store.tableName, before, { nowMs: NOW_MS });
    await importRevocations(dynamo.client, store.tableName, after, { nowMs: NOW_MS + 10 });
    await store.applyRevocations([jti('expired-later', NOW - 1)], { nowMs: NOW_MS + 20 });
    const found: string[] = [];

    await store.queryChanges(NOW_MS, NOW, (revocation) => found.push((revocation as { jti: string }).jti));

    expect(found.sort()).toEqual(after.map((revocation) => (revocation as { jti: string }).jti).sort());
    const shards = new Set(after.map((revocation) => shardOf(revocationKey('jti', ISS, (revocation as { jti: string }).jti))));
    expect(shards.size).toBe(REVOCATION_TABLE_SCHEMA.indexShards);
  });

  it('reads a token’s jti, subject, client and session, for its issuer and any issuer, consistently', async () => {
    const store = await newStore();
    const mine = [
      jti('token-1'),
      jti('token-1', NOW + 60, ANY_ISSUER),
      cutoff('subject', 'alice'),
      cutoff('client', 'app', NOW_MS, ANY_ISSUER),
      session('sid-1'),
      session('sid-1', NOW_MS - 1000, ANY_ISSUER),
    ];
    const others = [
      jti('token-2'),
      cutoff('subject', 'bob'),
      cutoff('subject', 'alice', NOW_MS, 'https://other.example.com'),
      session('sid-2'),
      session('sid-1', NOW_MS, 'https://other.example.com'),
      // A session revoked under the id of the token's jti: another namespace.
      session('token-1'),
    ];
    await store.applyRevocations([...mine, ...others], { nowMs: NOW_MS });

    const found = await store.getForToken(
      { issuer: ISS, revocationIds: { jti: 'token-1', subject: 'alice', client: 'app', signatures: [], session: 'sid-1' } },
      NOW,
    );

    expect(found).toHaveLength(mine.length);
    expect(found).toEqual(expect.arrayContaining(mine));
  });

  it('wraps a failed read in RevocationStateUnavailableError with the DynamoDB error as cause', async () => {
    const store = new RevocationStore(dynamo.client, 'no-such-table');

    const error = await scanAll(store).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RevocationStateUnavailableError);
    expect(((error as Error).cause as Error).name).toBe('ResourceNotFoundException');
  });
});

describe('RevocationStore items', () => {
  it('are never written without their shard and update time, which the change index needs', async () => {
    const store = await newStore();
    await store.applyRevocations([jti('token-1'), cutoff('subject', 'alice')], { nowMs: NOW_MS });

    const { Items } = await dynamo.client.send(new ScanCommand({ TableName: store.tableName }));

    const revocations = (Items ?? []).filter((item) => !isHeadKey(item.pk!.S!));
    expect(revocations).toHaveLength(2);
    for (const item of revocations) {
      expect(Number(item.shard?.N)).toBeGreaterThanOrEqual(0);
      expect(Number(item.shard?.N)).toBeLessThan(REVOCATION_TABLE_SCHEMA.indexShards);
      expect(item.updatedAt).toEqual({ N: String(NOW_MS) });
    }
  });
});

/** A client on the shared dynalite whose UpdateItems of change-head items fail, to see what a batch does then. */
function clientFailingHeadWrites(failures: number) {
  const client = new DynamoDBClient({
    region: dynamo.env.AWS_REGION,
    endpoint: dynamo.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const key = (args.input as { Key?: { pk?: { S?: string } } }).Key?.pk?.S;
      if (context.commandName === 'UpdateItemCommand' && key !== undefined && isHeadKey(key) && failures-- > 0) {
        throw new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
      }
      return next(args);
    },
    { step: 'initialize', name: 'failHeadWrites' },
  );
  return client;
}

async function headReplicas(store: RevocationStore): Promise<(string | undefined)[]> {
  return Promise.all(
    Array.from({ length: REVOCATION_TABLE_SCHEMA.head.replicas }, async (_, replica) => {
      const { Item } = await dynamo.client.send(
        new GetItemCommand({ TableName: store.tableName, Key: { pk: { S: headKey(replica) } }, ConsistentRead: true }),
      );
      return Item?.[REVOCATION_TABLE_SCHEMA.head.attribute]?.N;
    }),
  );
}

describe('RevocationStore change head', () => {
  it('raises every replica to the largest stamp a batch sent, once its writes are done, and never lowers one', async () => {
    let clock = NOW_MS;
    const store = await newStore({ now: () => (clock += 10) });
    await store.applyRevocations([jti('first'), jti('second'), cutoff('subject', 'third')], { concurrency: 1 });
    const afterBatch = await headReplicas(store);

    await store.applyRevocations([jti('older-stamp')], { nowMs: NOW_MS });

    expect(afterBatch).toEqual(Array.from({ length: REVOCATION_TABLE_SCHEMA.head.replicas }, () => String(NOW_MS + 30)));
    expect(await headReplicas(store)).toEqual(afterBatch);
  });

  it('raises the head for a batch that changed nothing: an earlier delivery of it may have written without raising it', async () => {
    const store = await newStore();
    await store.applyRevocations([jti('replayed')], { nowMs: NOW_MS });

    const result = await store.applyRevocations([jti('replayed')], { nowMs: NOW_MS + 500 });

    expect(result.unchanged.jti).toBe(1);
    expect(new Set(await headReplicas(store))).toEqual(new Set([String(NOW_MS + 500)]));
  });

  it('reads the head from the replica its random pick names, and nothing before the first batch', async () => {
    const store = await newStore({ random: () => 0.99 });
    const before = await store.readHead();
    await store.applyRevocations([jti('token-1')], { nowMs: NOW_MS });
    // Make the last replica lag behind the others, as an eventually consistent replica may.
    const last = REVOCATION_TABLE_SCHEMA.head.replicas - 1;
    await dynamo.client.send(
      new PutItemCommand({ TableName: store.tableName, Item: { pk: { S: headKey(last) }, headAt: { N: String(NOW_MS - 7) } } }),
    );

    expect(before).toEqual({ changedAtMs: undefined, feed: undefined });
    expect(await store.readHead()).toEqual({ changedAtMs: NOW_MS - 7, feed: undefined });
  });

  it('keeps head items out of the cold-start scan and the change query', async () => {
    const store = await newStore();
    await store.applyRevocations([jti('token-1'), cutoff('client', 'app')], { nowMs: NOW_MS });
    const scanned: Revocation[] = [];
    const queried: Revocation[] = [];

    const scan = await store.scanLive(2, NOW, (revocation) => scanned.push(revocation));
    const query = await store.queryChanges(0, NOW, (revocation) => queried.push(revocation));

    expect(scanned).toHaveLength(2);
    expect(queried).toHaveLength(2);
    expect([scan.skipped, query.skipped, query.expired]).toEqual([0, 0, 0]);
  });

  it('writes no head item with raiseChangeHead: false, the revocations still stamped for the change index', async () => {
    const store = await newStore({ raiseChangeHead: false });

    const result = await store.applyRevocations([jti('feed-announced'), cutoff('subject', 'feed-user')], { nowMs: NOW_MS });
    const queried: Revocation[] = [];
    await store.queryChanges(NOW_MS - 1, NOW, (revocation) => queried.push(revocation));
    const { Items = [] } = await dynamo.client.send(new ScanCommand({ TableName: store.tableName, ConsistentRead: true }));

    expect(result.applied).toMatchObject({ jti: 1, subject: 1 });
    expect(await headReplicas(store)).toEqual(Array.from({ length: REVOCATION_TABLE_SCHEMA.head.replicas }, () => undefined));
    expect(Items.filter((item) => isHeadKey(item.pk!.S!))).toEqual([]);
    expect(queried).toHaveLength(2);
    expect(await store.readHead()).toEqual({ changedAtMs: undefined, feed: undefined });
  });

  it('with raiseChangeHead: auto, raises the head unless a replica shows a feed its writer read within the lag, and past a feed that stopped', async () => {
    // Prepare: the clock the store checks the feed's age with, and a feed state on every head replica.
    const clock = { ms: NOW_MS };
    const store = await newStore({ raiseChangeHead: 'auto', now: () => clock.ms });
    const feedAt = async (atMs: number) => {
      for (let replica = 0; replica < REVOCATION_TABLE_SCHEMA.head.replicas; replica++) {
        await dynamo.client.send(
          new PutItemCommand({
            TableName: store.tableName,
            Item: {
              pk: { S: headKey(replica) },
              feedSeq: { N: '3' },
              feedSeqAt: { N: String(atMs) },
              feedBase: { N: '3' },
              feedBaseAt: { N: String(atMs) },
              feedAt: { N: String(atMs) },
            },
          }),
        );
      }
    };

    // Act: no feed yet; a live feed (read 1 s ago); the same feed 10 s later, stopped.
    await store.applyRevocations([jti('before-the-feed')], { nowMs: NOW_MS });
    const beforeFeed = await headReplicas(store);
    await feedAt(NOW_MS + 1000);
    clock.ms = NOW_MS + 2000;
    await store.applyRevocations([jti('while-the-feed-runs')], { nowMs: clock.ms });
    const whileLive = await headReplicas(store);
    clock.ms = NOW_MS + 12_000;
    await store.applyRevocations([jti('after-the-feed-stopped')], { nowMs: clock.ms });

    // Assess
    expect(new Set(beforeFeed)).toEqual(new Set([String(NOW_MS)]));
    // (Writing the feed state replaced the head items, headAt with them.)
    expect(new Set(whileLive)).toEqual(new Set([undefined]));
    expect(new Set(await headReplicas(store))).toEqual(new Set([String(NOW_MS + 12_000)]));
    expect(await store.readHead()).toMatchObject({ changedAtMs: NOW_MS + 12_000, feed: { atMs: NOW_MS + 1000 } });
  });

  it('fails the batch with a RevocationWriteError when a replica cannot be raised, the revocations written; a retry raises it', async () => {
    const store = new RevocationStore(clientFailingHeadWrites(1000), 'head-fails', { sleep: noSleep, maxAttempts: 2 });
    await createRevocationTable(dynamo.client, 'head-fails');

    const error = await store.applyRevocations([jti('written-headless')], { nowMs: NOW_MS }).catch((caught: unknown) => caught);
    const retried = new RevocationStore(dynamo.client, 'head-fails');
    await retried.applyRevocations([jti('written-headless')], { nowMs: NOW_MS + 60_000 });

    expect(error).toBeInstanceOf(RevocationWriteError);
    expect((error as Error).message).toMatch(/revocations were written to head-fails, but raising the change head failed/);
    expect(await rawItem(retried, jti('written-headless'))).toBeDefined();
    expect(new Set(await headReplicas(retried))).toEqual(new Set([String(NOW_MS + 60_000)]));
  });
});

describe('RevocationStore cold-start scan budget', () => {
  it('keeps at most REVOCATION_SCAN_CONCURRENCY pages in flight, whatever the segment count', async () => {
    const observed = observedClient(dynamo);
    const store = new RevocationStore(observed.client, 'scan-budget', { pageSize: 5, scanConcurrency: 2 });
    await createRevocationTable(dynamo.client, 'scan-budget');
    await importRevocations(
      dynamo.client,
      'scan-budget',
      Array.from({ length: 200 }, (_, i) => jti(`budget-${i}`)),
      { nowMs: NOW_MS },
    );

    const found: Revocation[] = [];
    await store.scanLive(8, NOW, (revocation) => found.push(revocation));

    expect(found).toHaveLength(200);
    expect(observed.sent.get('ScanCommand')).toBeGreaterThan(8);
    expect(observed.maxInFlight).toBe(2);
  });

  it('backs off with growing, jittered waits on throttled pages and sends them again until the scan completes', async () => {
    const observed = observedClient(dynamo);
    const waits: number[] = [];
    const store = new RevocationStore(observed.client, 'scan-throttled', {
      pageSize: 10,
      scanConcurrency: 4,
      random: () => 0.5,
      scanSleep: async (ms) => void waits.push(ms),
    });
    await createRevocationTable(dynamo.client, 'scan-throttled');
    await importRevocations(
      dynamo.client,
      'scan-throttled',
      Array.from({ length: 60 }, (_, i) => jti(`throttled-${i}`)),
      { nowMs: NOW_MS },
    );
    // More throttles in a row than the retries the store gives any other request.
    observed.failNext('ScanCommand', 12, () => new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

    const found: Revocation[] = [];
    const summary = await store.scanLive(4, NOW, (revocation) => found.push(revocation));

    expect(found).toHaveLength(60);
    expect(summary.throttled).toBe(12);
    // Full jitter at 0.5 of min(5 s, 50 ms × 2^attempt): each page's waits grow.
    expect(waits).toContain(50);
    expect(waits).toContain(100);
    expect(Math.max(...waits)).toBeGreaterThanOrEqual(200);
  });

  it('stops backing off once the read’s deadline passes, rather than retrying a throttled page forever', async () => {
    const observed = observedClient(dynamo);
    const store = new RevocationStore(observed.client, 'scan-deadline', { scanConcurrency: 1 });
    await createRevocationTable(dynamo.client, 'scan-deadline');
    observed.failNext('ScanCommand', 1_000_000, () => new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

    const error = await store.scanLive(1, NOW, () => {}, AbortSignal.timeout(300)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RevocationStateUnavailableError);
    expect(observed.sent.get('ScanCommand')).toBeGreaterThan(1);
  });
});
