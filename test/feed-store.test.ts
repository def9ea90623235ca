import { GetItemCommand, PutItemCommand, type BatchGetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_TABLE_SCHEMA } from '../lambda/contract/index.js';
import { encodeFeedPage, FeedStore } from '../lambda/feed/index.js';
import { feedPageKey, headKey, RevocationStore, type FeedHead, type Revocation } from '../lambda/revocation/index.js';
import { FeedFencedError, RevocationStateUnavailableError, RevocationWriteError } from '../lambda/shared/index.js';
import { createRevocationTable } from '../local/table-admin.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { observedClient } from './support/dynamo-faults.js';

const ISS = 'https://issuer.example.com/';
const NOW_MS = 1_800_000_000_000;
const NOW_S = NOW_MS / 1000;
const REPLICAS = REVOCATION_TABLE_SCHEMA.feed.replicas;

let dynamo: LocalDynamo;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.stop());

async function newTable(): Promise<string> {
  const table = `feed-${++tables}`;
  await createRevocationTable(dynamo.client, table);
  return table;
}

/** A store whose page reads all go to one replica. */
const storeOn = (table: string, replica = 0, client = dynamo.client) =>
  new FeedStore(client, table, { random: () => replica / REPLICAS, sleep: async () => {} });

const jti = (id: string, expiresAtEpochSeconds = NOW_S + 3600): Revocation => ({
  kind: 'jti',
  issuer: ISS,
  jti: id,
  expiresAtEpochSeconds,
});
const state = (seq: number, atMs: number): FeedHead => ({ seq, seqAtMs: atMs, base: 0, baseAtMs: 0, atMs });

async function read(store: FeedStore, first: number, last: number) {
  const seen: Revocation[] = [];
  const result = await store.readPages(first, last, NOW_S, (revocation) => seen.push(revocation));
  return { ...result, seen };
}

async function putRaw(table: string, key: string, attributes: Record<string, { N: string } | { S: string }>) {
  await dynamo.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: key }, ...attributes } }));
}

describe('FeedStore pages', () => {
  it('reads back the pages it wrote, in order, live revocations only', async () => {
    const table = await newTable();
    const store = storeOn(table, 17);
    await store.writePage(1, encodeFeedPage([jti('a'), jti('gone', NOW_S - 1)]));
    await store.writePage(
      2,
      encodeFeedPage([
        jti('b'),
        { kind: 'subject', issuer: ISS, id: 'alice', revokedAtEpochMs: NOW_MS, expiresAtEpochSeconds: NOW_S + 99 },
      ]),
    );

    const result = await read(store, 1, 2);

    expect(result).toMatchObject({ items: 3, expired: 1, skipped: 0, missing: undefined });
    expect(result.seen.map((revocation) => (revocation.kind === 'jti' ? revocation.jti : revocation.id))).toEqual(['a', 'b', 'alice']);
    const item = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: feedPageKey(2, REPLICAS - 1) } } }));
    expect(item.Item?.seq).toEqual({ N: '2' });
    expect(Object.keys(item.Item ?? {}).sort()).toEqual(['entries', 'pk', 'seq']);
  });

  it('says a page is missing when the replica read lags: its slot still holds an older page', async () => {
    const table = await newTable();
    await storeOn(table).writePage(5, encodeFeedPage([jti('old')]));
    // Page 69 (slot 5 again) reached every replica but 0.
    for (let replica = 1; replica < REPLICAS; replica++) {
      await putRaw(table, feedPageKey(69, replica), { seq: { N: '69' }, entries: { S: encodeFeedPage([jti('new')]) } });
    }

    const lagging = await read(storeOn(table, 0), 69, 69);
    const current = await read(storeOn(table, 3), 69, 69);

    expect(lagging).toMatchObject({ missing: 69, items: 0 });
    expect(current).toMatchObject({ missing: undefined, items: 1 });
    expect(current.seen).toEqual([jti('new')]);
  });

  it('says the overwritten page is missing once the ring wraps (page n + 64 replaces page n), and hands on the pages before it', async () => {
    const table = await newTable();
    const store = storeOn(table, 9);
    await store.writePage(4, encodeFeedPage([jti('four')]));
    await store.writePage(5, encodeFeedPage([jti('five')]));
    await store.writePage(69, encodeFeedPage([jti('sixty-nine')]));

    const wrapped = await read(store, 4, 6);
    const absent = await read(store, 6, 6);

    expect(wrapped).toMatchObject({ missing: 5, items: 1 });
    expect(wrapped.seen).toEqual([jti('four')]);
    expect(absent.missing).toBe(6);
    expect((await read(store, 69, 69)).seen).toEqual([jti('sixty-nine')]);
  });

  it('says the first page is missing, without a read, when asked for more pages than the ring holds', async () => {
    const observed = observedClient(dynamo);
    const store = storeOn(await newTable(), 0, observed.client);

    const result = await read(store, 1, REVOCATION_TABLE_SCHEMA.feed.slots + 1);

    expect(result.missing).toBe(1);
    expect(observed.total).toBe(0);
  });

  it('refuses a page whose entries do not decode, as missing, with the reason for the log', async () => {
    const table = await newTable();
    await putRaw(table, feedPageKey(1, 0), { seq: { N: '1' }, entries: { S: '{"v":1,"i":["https://x/"],"e":[[0,0,"a",1800003600000]]}' } });

    const result = await read(storeOn(table, 0), 1, 1);

    expect(result).toMatchObject({
      missing: 1,
      items: 0,
      refused: { seq: 1, key: feedPageKey(1, 0), problem: { reason: 'expires_at', entry: 0 } },
    });
  });

  it('asks again for the keys a BatchGetItem left unprocessed', async () => {
    const table = await newTable();
    await storeOn(table).writePage(1, encodeFeedPage([jti('one')]));
    await storeOn(table).writePage(2, encodeFeedPage([jti('two')]));
    const observed = observedClient(dynamo);
    let withheld = false;
    // DynamoDB returns UnprocessedKeys under load; dynalite never does, so the first answer is cut.
    observed.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { RequestItems: Record<string, { Keys: unknown[] }> };
        if (context.commandName !== 'BatchGetItemCommand' || withheld) return next(args);
        withheld = true;
        const keys = input.RequestItems[table]!.Keys;
        const result = await next({
          ...args,
          input: { RequestItems: { [table]: { ...input.RequestItems[table], Keys: keys.slice(0, 1) } } },
        });
        (result.output as BatchGetItemCommandOutput).UnprocessedKeys = {
          [table]: { ...input.RequestItems[table], Keys: keys.slice(1) } as never,
        };
        return result;
      },
      { step: 'initialize', name: 'withholdKeys' },
    );

    const result = await read(storeOn(table, 0, observed.client), 1, 2);

    expect(result.seen).toEqual([jti('one'), jti('two')]);
    expect(observed.sent.get('BatchGetItemCommand')).toBe(2);
  });

  it('stops backing off for unprocessed keys as soon as its signal fires', async () => {
    const table = await newTable();
    await storeOn(table).writePage(1, encodeFeedPage([jti('one')]));
    const observed = observedClient(dynamo);
    const controller = new AbortController();
    // Every answer leaves every key unprocessed; the signal fires as the first one arrives.
    observed.client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'BatchGetItemCommand') {
          const input = args.input as { RequestItems: Record<string, { Keys: unknown[] }> };
          const output = result.output as BatchGetItemCommandOutput;
          output.Responses = { [table]: [] };
          output.UnprocessedKeys = input.RequestItems as never;
          setTimeout(() => controller.abort(), 10);
        }
        return result;
      },
      { step: 'initialize', name: 'leaveUnprocessed' },
    );
    // A back-off that would never end by itself.
    const store = new FeedStore(observed.client, table, { sleep: () => new Promise<void>(() => {}) });

    const outcome = await Promise.race([
      store
        .readPages(1, 1, NOW_S, () => {}, controller.signal)
        .then(
          () => 'read',
          (error: unknown) => error,
        ),
      new Promise((resolve) => setTimeout(() => resolve('still sleeping'), 2000)),
    ]);

    expect(outcome).toBeInstanceOf(RevocationStateUnavailableError);
    expect(observed.sent.get('BatchGetItemCommand')).toBe(1);
  });

  it('wraps a failed read as RevocationStateUnavailableError, and stops at once when its signal has fired', async () => {
    const store = storeOn('no-such-table');
    const aborted = AbortSignal.abort();

    await expect(read(store, 1, 1)).rejects.toBeInstanceOf(RevocationStateUnavailableError);
    await expect(store.readPages(1, 1, NOW_S, () => {}, aborted)).rejects.toBeInstanceOf(RevocationStateUnavailableError);
  });
});

describe('FeedStore fencing', () => {
  it('refuses a page another writer wrote with other entries, or a later page in the slot; repeats its own write', async () => {
    const table = await newTable();
    const writerA = storeOn(table);
    const writerB = storeOn(table);
    await writerA.writePage(7, encodeFeedPage([jti('from-a')]));

    await expect(writerB.writePage(7, encodeFeedPage([jti('from-b')]))).rejects.toBeInstanceOf(FeedFencedError);
    await expect(writerA.writePage(7, encodeFeedPage([jti('from-a')]))).resolves.toBeUndefined();
    await writerA.writePage(71, encodeFeedPage([jti('later')]));
    await expect(writerB.writePage(7, encodeFeedPage([jti('from-a')]))).rejects.toBeInstanceOf(FeedFencedError);
    expect((await read(storeOn(table, 30), 7, 7)).missing).toBe(7);
  });

  it('refuses a head state that would move feedSeq back, even with a later feedAt; takes the same seq later (a heartbeat)', async () => {
    const table = await newTable();
    const current = storeOn(table);
    const stale = storeOn(table);
    await current.writeHead(state(5, NOW_MS + 1000));

    await expect(stale.writeHead(state(3, NOW_MS + 2000))).rejects.toBeInstanceOf(FeedFencedError);
    expect(await current.readHeadConsistent()).toEqual(state(5, NOW_MS + 1000));
    await expect(current.writeHead(state(5, NOW_MS + 3000))).resolves.toBeUndefined();
    await expect(current.writeHead(state(5, NOW_MS + 3000))).resolves.toBeUndefined();
    await expect(current.writeHead(state(6, NOW_MS + 4000))).resolves.toBeUndefined();
    const last = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: headKey(REPLICAS - 1) } } }));
    expect(last.Item?.feedSeq).toEqual({ N: '6' });
  });

  it('sends no write once its signal has fired', async () => {
    const observed = observedClient(dynamo);
    const store = storeOn(await newTable(), 0, observed.client);

    await expect(store.writePage(1, encodeFeedPage([jti('a')]), AbortSignal.abort())).rejects.toBeInstanceOf(RevocationWriteError);
    await expect(store.writeHead(state(1, NOW_MS), AbortSignal.abort())).rejects.toBeInstanceOf(RevocationWriteError);
    expect(observed.total).toBe(0);
  });

  it('refuses a head state older than the one a replica holds, repeats its own, never touches headAt', async () => {
    const table = await newTable();
    const revocations = new RevocationStore(dynamo.client, table);
    await revocations.raiseHead(NOW_MS);
    const writerA = storeOn(table);
    const writerB = storeOn(table);

    await writerA.writeHead(state(3, NOW_MS + 2000));
    await expect(writerB.writeHead(state(4, NOW_MS + 1000))).rejects.toBeInstanceOf(FeedFencedError);
    await expect(writerA.writeHead(state(3, NOW_MS + 2000))).resolves.toBeUndefined();

    expect(await writerB.readHeadConsistent()).toEqual(state(3, NOW_MS + 2000));
    expect(await revocations.readHead()).toEqual({ changedAtMs: NOW_MS, feed: state(3, NOW_MS + 2000) });
    const last = await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: headKey(REPLICAS - 1) } } }));
    expect(last.Item?.feedSeq).toEqual({ N: '3' });
  });

  it('reads no feed state from a table no feed writer has written, nor from a head without one, nor a page from an empty slot', async () => {
    const table = await newTable();
    const store = storeOn(table);
    expect(await store.readHeadConsistent()).toBeUndefined();
    await new RevocationStore(dynamo.client, table).raiseHead(NOW_MS);
    expect(await store.readHeadConsistent()).toBeUndefined();
    expect(await store.readPageSeqConsistent(1)).toBeUndefined();
    expect(await store.readHighestPageSeqConsistent()).toBe(0);
  });

  it('reads the highest page the ring holds in replica 0, wherever the ring wrapped, in one consistent BatchGetItem', async () => {
    const table = await newTable();
    for (let seq = 60; seq <= 70; seq++) await storeOn(table).writePage(seq, encodeFeedPage([jti(`p${seq}`)]));
    // Only another replica holds a later page: the writer reads replica 0, written first.
    await putRaw(table, feedPageKey(71, 5), { seq: { N: '71' }, entries: { S: encodeFeedPage([jti('p71')]) } });
    const observed = observedClient(dynamo);
    const consistent: unknown[] = [];
    observed.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchGetItemCommand') {
          const input = args.input as { RequestItems: Record<string, { Keys: unknown[]; ConsistentRead?: boolean }> };
          consistent.push(input.RequestItems[table]!.ConsistentRead, input.RequestItems[table]!.Keys.length);
        }
        return next(args);
      },
      { step: 'initialize', name: 'recordConsistency' },
    );

    expect(await storeOn(table, 0, observed.client).readHighestPageSeqConsistent()).toBe(70);
    expect(consistent).toEqual([true, REVOCATION_TABLE_SCHEMA.feed.slots]);
    expect(observed.total).toBe(1);
  });
});
