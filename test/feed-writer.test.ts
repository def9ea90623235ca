import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_TABLE_SCHEMA } from '../lambda/contract/index.js';
import { encodeFeedPage, FeedStore, FeedWriter, type FeedStepOutcome } from '../lambda/feed/index.js';
import {
  MAX_TTL_EPOCH_SECONDS,
  MIN_CUTOFF_EPOCH_MS,
  RevocationStore,
  shardOf,
  type FeedHead,
  type Revocation,
} from '../lambda/revocation/index.js';
import { FeedFencedError } from '../lambda/shared/index.js';
import { createRevocationTable } from '../local/table-admin.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { LogRecorder } from './support/log-recorder.js';

const ISS = 'https://issuer.example.com/';
const T0 = 1_800_000_000_000;
const OVERLAP_MS = 5000;

let dynamo: LocalDynamo;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.stop());

/** A table, its revocation store, and a clock every writer of the test reads. */
async function setUp() {
  const table = `feed-writer-${++tables}`;
  await createRevocationTable(dynamo.client, table);
  const clock = { ms: T0 };
  const revocations = new RevocationStore(dynamo.client, table);
  const feed = new FeedStore(dynamo.client, table, { sleep: async () => {} });
  const newWriter = (options: { maxPageBytes?: number; log?: LogRecorder } = {}) =>
    new FeedWriter(revocations, feed, {
      overlapMs: OVERLAP_MS,
      intervalMs: 1000,
      now: () => clock.ms,
      sleep: async (ms) => {
        clock.ms += ms;
      },
      ...options,
    });
  /** Writes revocations stamped `stampMs`, as the ingest does. */
  const write = (stampMs: number, ...list: Revocation[]) => revocations.applyRevocations(list, { nowMs: stampMs });
  const head = (): Promise<FeedHead | undefined> => feed.readHeadConsistent();
  /** The ids in pages first .. last, in order, or the page that is missing. */
  const pages = async (first: number, last: number) => {
    const ids: string[] = [];
    const result = await feed.readPages(first, last, T0 / 1000, (revocation) =>
      ids.push(revocation.kind === 'jti' ? revocation.jti : revocation.id),
    );
    return result.missing === undefined ? ids : { missing: result.missing };
  };
  /** Every revocation in pages first .. last, in order. */
  const published = async (first: number, last: number) => {
    const seen: Revocation[] = [];
    const result = await feed.readPages(first, last, T0 / 1000, (revocation) => seen.push(revocation));
    expect(result.missing).toBeUndefined();
    return seen;
  };
  /** Writes an item as it stands in the table, stamped `stampMs`, bypassing the ingest's rules. */
  const putRaw = async (stampMs: number, kind: string, issuer: string, id: string, attributes: Record<string, { N: string }>) => {
    const pk = `${kind}#${encodeURIComponent(issuer)}#${id}`;
    const item = { pk: { S: pk }, kind: { S: kind }, iss: { S: issuer }, id: { S: id }, ...attributes };
    await dynamo.client.send(
      new PutItemCommand({ TableName: table, Item: { ...item, shard: { N: String(shardOf(pk)) }, updatedAt: { N: String(stampMs) } } }),
    );
  };
  return { table, clock, feed, newWriter, write, head, pages, published, putRaw };
}

const jti = (id: string, expiresAtEpochSeconds = T0 / 1000 + 3600): Revocation => ({
  kind: 'jti',
  issuer: ISS,
  jti: id,
  expiresAtEpochSeconds,
});

describe('FeedWriter.step', () => {
  it('writes the head on an idle step too (a heartbeat), and writes no page', async () => {
    const { clock, newWriter, head } = await setUp();
    const writer = newWriter();

    const first = await writer.step();
    clock.ms += 1000;
    const second = await writer.step();

    expect(first).toMatchObject({ pages: 0, entries: 0, seq: 0 });
    expect(second).toMatchObject({ pages: 0, entries: 0, seq: 0, lagMs: 1000 });
    expect(await head()).toEqual({ seq: 0, seqAtMs: 0, base: 0, baseAtMs: 0, atMs: T0 + 1000 });
  });

  it('publishes a revocation once although overlapping reads return it again, and again once it changes', async () => {
    const { clock, newWriter, write, head, pages } = await setUp();
    const writer = newWriter();
    await write(T0 - 100, jti('a'));

    const first = await writer.step();
    clock.ms += 1000;
    const second = await writer.step();
    await write(T0 + 1500, jti('a', T0 / 1000 + 7200));
    clock.ms += 1000;
    const third = await writer.step();

    expect(first).toMatchObject({ pages: 1, entries: 1, read: 1, seq: 1, bytes: Buffer.byteLength(encodeFeedPage([jti('a')])) });
    expect(second).toMatchObject({ pages: 0, entries: 0, read: 1, seq: 1, bytes: 0 });
    expect(third).toMatchObject({ pages: 1, entries: 1, read: 1, seq: 2 });
    expect(await pages(1, 2)).toEqual(['a', 'a']);
    expect(await head()).toMatchObject({ seq: 2, seqAtMs: T0 + 2000, atMs: T0 + 2000 });
  });

  it('publishes in a later page a write stamped before the previous read began but visible only after it, within the overlap', async () => {
    const { clock, newWriter, write, pages } = await setUp();
    const writer = newWriter();
    await writer.step();
    // Stamped before the step above started, visible only now: the next read reaches back over it.
    await write(T0 - 2000, jti('late'));
    await write(T0 - OVERLAP_MS - 2, jti('too-late'));
    clock.ms += 1000;

    const step = await writer.step();

    expect(step).toMatchObject({ pages: 1, entries: 1 });
    expect(await pages(1, 1)).toEqual(['late']);
  });

  it('splits a large step into pages under the byte bound, all in the head', async () => {
    const { newWriter, write, head, pages } = await setUp();
    const ids = Array.from({ length: 400 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    await write(T0 - 10, ...ids.map((id) => jti(id)));

    const step = await newWriter({ maxPageBytes: 8192 }).step();

    expect(step.pages).toBeGreaterThanOrEqual(3);
    expect(step.entries).toBe(400);
    expect((await head())?.seq).toBe(step.pages);
    expect(((await pages(1, step.pages)) as string[]).sort()).toEqual(ids);
  });

  it('continues from the head after a restart: the next page follows the last, base and seq kept', async () => {
    const { clock, newWriter, write, head, pages } = await setUp();
    const before = newWriter();
    await write(T0 - 10, jti('one'));
    await before.step();
    clock.ms += 1000;
    await write(T0 + 500, jti('two'));
    await before.step();

    clock.ms += 1000;
    await write(T0 + 1500, jti('three'));
    const after = newWriter();
    const step = await after.step();

    expect(step.seq).toBe(3);
    // A new process remembers nothing it published: the overlap's revocations come again.
    expect(await pages(3, 3)).toEqual(expect.arrayContaining(['two', 'three']));
    expect(await pages(1, 2)).toEqual(['one', 'two']);
    expect(await head()).toMatchObject({ seq: 3, atMs: T0 + 2000 });
  });

  it('goes on after pages a stopped writer wrote but never counted in the head', async () => {
    const { clock, feed, newWriter, write, head, pages } = await setUp();
    await newWriter().step();
    // A writer stopped between its page and its head.
    await feed.writePage(1, '{"v":1,"i":[],"e":[]}');
    clock.ms += 1000;
    await write(T0 + 500, jti('next'));

    const step = await newWriter().step();

    expect(step).toMatchObject({ pages: 1, seq: 2 });
    expect(await pages(2, 2)).toEqual(['next']);
    expect(await head()).toMatchObject({ seq: 2 });
  });

  it('chooses as base the latest page whose seqAt is an overlap older than the read', async () => {
    const { clock, newWriter, write, head } = await setUp();
    const writer = newWriter();
    await write(T0 - 10, jti('one'));
    await writer.step();
    const bases: [number, number][] = [];
    for (let second = 1; second <= 7; second++) {
      clock.ms = T0 + second * 1000;
      if (second === 2) await write(clock.ms - 10, jti('two'));
      await writer.step();
      const state = await head();
      bases.push([state!.base, state!.baseAtMs]);
    }

    // Page 1 (seqAt T0) becomes the base at T0 + 5 s, page 2 (seqAt T0 + 2 s) not before T0 + 7 s.
    expect(bases).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [1, T0],
      [1, T0],
      [2, T0 + 2000],
    ]);
  });
});

describe('FeedWriter.step with items the page encoder refuses as they are', () => {
  it('publishes them normalised (never a weaker effect), skips and counts one it cannot carry, and the feed goes on', async () => {
    const { clock, newWriter, head, published, putRaw } = await setUp();
    const log = new LogRecorder();
    const writer = newWriter({ log });
    const expiresAt = { N: String(T0 / 1000 + 3600) };
    await putRaw(T0 - 100, 'session', ISS, 'sid-without-revokedAt', { expiresAt });
    await putRaw(T0 - 100, 'jti', ISS, 'fractional-ttl', { revokedAt: { N: String(T0) }, expiresAt: { N: String(T0 / 1000 + 3600.5) } });
    await putRaw(T0 - 100, 'jti', ISS, 'ttl-in-ms', { revokedAt: { N: String(T0) }, expiresAt: { N: String(T0 + 3_600_000) } });
    await putRaw(T0 - 100, 'subject', ISS, 'cut-off-in-seconds', { revokedAt: { N: String(T0 / 1000) }, expiresAt });
    await putRaw(T0 - 100, 'jti', 'https://issuer.example.com/\u0001', 'bad-issuer', { revokedAt: { N: String(T0) }, expiresAt });

    const first = await writer.step();
    clock.ms += 1000;
    const second = await writer.step();

    expect(first).toMatchObject({ pages: 1, entries: 4, read: 5, skipped: 1, seq: 1 });
    expect(second).toMatchObject({ pages: 0, entries: 0, read: 5, skipped: 0, seq: 1 });
    expect(await head()).toMatchObject({ seq: 1, atMs: T0 + 1000 });
    const byId = new Map(
      (await published(1, 1)).map((revocation) => [revocation.kind === 'jti' ? revocation.jti : revocation.id, revocation]),
    );
    expect([...byId.keys()].sort()).toEqual(['cut-off-in-seconds', 'fractional-ttl', 'sid-without-revokedAt', 'ttl-in-ms']);
    expect(byId.get('sid-without-revokedAt')).toMatchObject({
      kind: 'session',
      revokedAtEpochMs: MIN_CUTOFF_EPOCH_MS,
      expiresAtEpochSeconds: T0 / 1000 + 3600,
    });
    expect(byId.get('fractional-ttl')).toMatchObject({ expiresAtEpochSeconds: T0 / 1000 + 3601 });
    expect(byId.get('ttl-in-ms')).toMatchObject({ expiresAtEpochSeconds: MAX_TTL_EPOCH_SECONDS - 1 });
    expect(byId.get('cut-off-in-seconds')).toMatchObject({ kind: 'subject', revokedAtEpochMs: MIN_CUTOFF_EPOCH_MS });
    expect(log.lines.filter((entry) => entry.level === 'error')).toHaveLength(1);
  });
});

describe('FeedWriter after the feed state was removed from the head (the feed turned off, then on)', () => {
  it('goes on after the highest page the ring holds, and its pages are written', async () => {
    const { table, clock, feed, newWriter, write, head, pages } = await setUp();
    await write(T0 - 10, jti('r1'));
    await newWriter().step();
    // The feed had reached page 70: the ring wrapped, so slot 6 holds the highest page, slots 60-63 older ones.
    for (let seq = 60; seq <= 70; seq++) await feed.writePage(seq, encodeFeedPage([jti(`old-${seq}`)]));
    // docs/deploy.md: REMOVE feedSeq, feedSeqAt, feedBase, feedBaseAt, feedAt from every head replica.
    for (let replica = 0; replica < REVOCATION_TABLE_SCHEMA.head.replicas; replica++) {
      await dynamo.client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: { S: `head#${replica}` } },
          UpdateExpression: 'REMOVE feedSeq, feedSeqAt, feedBase, feedBaseAt, feedAt',
        }),
      );
    }
    expect(await head()).toBeUndefined();
    clock.ms = T0 + 600_000;
    await write(clock.ms - 10, jti('after'));

    const step = await newWriter().step();

    expect(step).toMatchObject({ pages: 1, seq: 71 });
    expect(await pages(71, 71)).toEqual(['after']);
    expect(await head()).toMatchObject({ seq: 71, base: 0, atMs: T0 + 600_000 });
  });

  it('starts at page 1 when the ring holds no page either', async () => {
    const { newWriter, write, head, pages } = await setUp();
    await write(T0 - 10, jti('first'));

    expect(await newWriter().step()).toMatchObject({ pages: 1, seq: 1 });
    expect(await pages(1, 1)).toEqual(['first']);
    expect(await head()).toMatchObject({ seq: 1 });
  });
});

describe('two FeedWriters on one table', () => {
  it('fence each other: the one behind fails its step, then continues from the head the other wrote', async () => {
    const { clock, newWriter, write, head, pages } = await setUp();
    const writerA = newWriter();
    const writerB = newWriter();
    await writerB.step();
    await writerA.step();
    await write(T0 + 500, jti('r1'));
    clock.ms = T0 + 1000;
    await writerA.step();
    await write(T0 + 1500, jti('r2'));
    clock.ms = T0 + 2000;

    await expect(writerB.step()).rejects.toBeInstanceOf(FeedFencedError);
    clock.ms = T0 + 3000;
    const resumed = await writerB.step();
    clock.ms = T0 + 4000;
    await expect(writerA.step()).rejects.toBeInstanceOf(FeedFencedError);

    expect(resumed).toMatchObject({ seq: 2 });
    expect(await head()).toMatchObject({ seq: 2, atMs: T0 + 3000 });
    expect(await pages(1, 1)).toEqual(['r1']);
    expect(((await pages(2, 2)) as string[]).sort()).toEqual(['r1', 'r2']);
  });
});

describe('FeedWriter.run', () => {
  it('steps every interval until the deadline, sleeping the rest of each interval', async () => {
    const { clock, newWriter, head } = await setUp();
    const outcomes: FeedStepOutcome[] = [];

    const report = await newWriter().run(T0 + 5000, { onStep: (outcome) => outcomes.push(outcome) });

    expect(report).toMatchObject({ steps: 5, failures: 0, pages: 0 });
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(clock.ms).toBe(T0 + 5000);
    expect((await head())?.atMs).toBe(T0 + 4000);
  });

  it('counts failed steps and keeps stepping; an aborted signal stops it before a step', async () => {
    const clock = { ms: T0 };
    const writer = new FeedWriter(new RevocationStore(dynamo.client, 'no-such-table'), new FeedStore(dynamo.client, 'no-such-table'), {
      overlapMs: OVERLAP_MS,
      intervalMs: 1000,
      now: () => clock.ms,
      sleep: async (ms) => {
        clock.ms += ms;
      },
    });

    const report = await writer.run(T0 + 3000);
    const aborted = await writer.run(T0 + 10_000, { signal: AbortSignal.abort() });

    expect(report).toMatchObject({ steps: 3, failures: 3, fenced: 0 });
    expect(aborted.steps).toBe(0);
  });
});
