import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { isHeadKey, type Revocation, revocationId, revocationKey, RevocationStore, shardOf } from '../../lambda/revocation/index.js';
import type { InvalidMessageReason } from '../../lambda/shared/index.js';
import { snsEvent } from '../../local/sns-event.js';
import { bodyOf, messageCorpus as corpus } from '../fixtures/messages/corpus.js';
import { BundleProcess } from '../support/bundle-process.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { EXTRA_MESSAGES, NOW_MS } from './support/message-cases.js';
import { createRevocationTable } from '../../local/table-admin.js';

/**
 * Every message of the shared corpus and of the hardening extras, published one after another to
 * the built dist/ingest.mjs (clock frozen at the corpus clock) writing to one dynalite table. After
 * each, the whole table (a consistent Scan, every attribute) must equal a model of the documented
 * behaviour: untouched after a refused message, and after an accepted one changed exactly by its
 * revocations with monotonic, max-wins writes.
 */

interface Case {
  readonly name: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string | { readonly Type: string; readonly Value: string }>>;
  readonly expect: { readonly revocations: readonly Revocation[] } | { readonly reason: InvalidMessageReason; readonly path: string };
}

// Valid and refused messages interleaved, so refusals meet a table that already holds their keys.
const corpusCases: Case[] = [];
for (let i = 0; i < Math.max(corpus.valid.length, corpus.invalid.length); i++) {
  for (const entry of [
    corpus.valid[i],
    corpus.invalid[i],
    corpus.invalid[i + corpus.valid.length],
    corpus.invalid[i + 2 * corpus.valid.length],
  ]) {
    if (entry === undefined || corpusCases.some((known) => known.name === `corpus: ${entry.name}`)) continue;
    corpusCases.push({
      name: `corpus: ${entry.name}`,
      body: bodyOf(entry),
      attributes: entry.attributes,
      expect: 'expect' in entry ? { revocations: entry.expect } : { reason: entry.reason, path: entry.path },
    });
  }
}
const cases: Case[] = [
  ...corpusCases,
  ...EXTRA_MESSAGES.map((message) => ({ ...message, name: `extra: ${message.name}`, attributes: message.attributes ?? {} })),
];

const TABLE = 'revocations';
let dynamo: LocalDynamo;
let ingest: BundleProcess;

beforeAll(async () => {
  expect(corpus.nowMs).toBe(NOW_MS);
  dynamo = await startDynalite();
  await createRevocationTable(dynamo.client, TABLE);
  ingest = new BundleProcess(
    'ingest',
    { ...dynamo.env, REVOCATION_TABLE_NAME: TABLE, POWERTOOLS_METRICS_DISABLED: 'true' },
    { clockMs: NOW_MS },
  );
});
afterAll(async () => {
  await ingest?.stop();
  await dynamo?.stop();
});

/** An item as compared: every attribute, numbers as numbers. */
type Item = Record<string, string | number>;

async function snapshot(): Promise<Map<string, Item>> {
  const items = new Map<string, Item>();
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamo.client.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true, ExclusiveStartKey: startKey }));
    // The change head (raised after each batch) is no revocation: the model has none.
    for (const raw of (page.Items ?? []).filter((raw) => !isHeadKey(raw.pk!.S!))) {
      const item: Item = {};
      for (const [name, value] of Object.entries(raw)) item[name] = value.N !== undefined ? Number(value.N) : value.S!;
      items.set(item.pk as string, item);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/** The documented write: a cut-off only moves forward, a jti's or a session's expiry only extends; one write per key. */
function applyModel(table: Map<string, Item>, revocations: readonly Revocation[], nowMs: number): { applied: number; unchanged: number } {
  const merged = new Map<string, Revocation>();
  for (const revocation of revocations) {
    const id = revocationId(revocation);
    const key = revocationKey(revocation.kind, revocation.issuer, id);
    const seen = merged.get(key);
    const later =
      seen === undefined ||
      (revocation.kind === 'jti' || revocation.kind === 'session'
        ? revocation.expiresAtEpochSeconds > seen.expiresAtEpochSeconds
        : revocation.revokedAtEpochMs > (seen as { revokedAtEpochMs: number }).revokedAtEpochMs);
    if (later) merged.set(key, revocation);
  }
  let applied = 0;
  let unchanged = 0;
  for (const [pk, revocation] of merged) {
    const stored = table.get(pk);
    const id = revocationId(revocation);
    const changes =
      stored === undefined ||
      (revocation.kind === 'jti' || revocation.kind === 'session'
        ? (stored.expiresAt as number) < revocation.expiresAtEpochSeconds
        : (stored.revokedAt as number) < revocation.revokedAtEpochMs);
    if (!changes) {
      unchanged++;
      continue;
    }
    applied++;
    table.set(pk, {
      pk,
      kind: revocation.kind,
      iss: revocation.issuer,
      id,
      // A jti keeps the time it was first revoked.
      revokedAt: revocation.kind === 'jti' ? ((stored?.revokedAt as number | undefined) ?? nowMs) : revocation.revokedAtEpochMs,
      expiresAt: revocation.expiresAtEpochSeconds,
      shard: shardOf(pk),
      updatedAt: nowMs,
    });
  }
  return { applied, unchanged };
}

const model = new Map<string, Item>();

describe('dist/ingest.mjs over the whole message corpus, one table, in order', () => {
  it('runs more than 170 messages of every format and fault', () => {
    expect(cases.length).toBeGreaterThan(170);
    expect(cases.filter((testCase) => 'reason' in testCase.expect).length).toBeGreaterThan(120);
  });

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    // Prepare
    const before = await snapshot();
    expect(before).toEqual(model);
    const outputStart = ingest.output.length;

    // Act
    const invocation = await ingest.invoke(
      snsEvent({ message: testCase.body, attributes: testCase.attributes, timestamp: new Date(NOW_MS) }),
    );

    // Assess
    const after = await snapshot();
    const logged = ingest.output.slice(outputStart);
    const lines = logged
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    if ('reason' in testCase.expect) {
      expect(invocation).toMatchObject({ ok: false, error: { name: 'InvalidMessageError', code: 'ERR_INVALID_MESSAGE' } });
      const rejected = lines.filter((line) => String(line.message).startsWith('revocation message rejected'));
      expect(rejected).toHaveLength(1);
      expect({ reason: rejected[0]!.reason, path: rejected[0]!.path ?? '' }).toEqual({
        reason: testCase.expect.reason,
        path: testCase.expect.path,
      });
      expect(after).toEqual(before);
    } else {
      const counts = applyModel(model, testCase.expect.revocations, NOW_MS);
      expect(invocation.ok, JSON.stringify(invocation).slice(0, 300)).toBe(true);
      const summary = (invocation as { result: { applied: Record<string, number>; unchanged: Record<string, number> } }).result;
      const sum = (record: Record<string, number>) => Object.values(record).reduce((total, count) => total + count, 0);
      expect({ applied: sum(summary.applied), unchanged: sum(summary.unchanged) }).toEqual(counts);
      expect(after).toEqual(model);
    }
    // Never a token (or a large piece of one) in the logs.
    for (const segment of testCase.body.match(/eyJ[A-Za-z0-9_-]{20,}/g) ?? []) expect(logged).not.toContain(segment);
  });
});
