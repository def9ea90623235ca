import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SNSEvent } from 'aws-lambda';
import { loadIngestConfig } from '../lambda/config/index.js';
import { type ApplyResult, isHeadKey, parseRevocationKey, type Revocation, RevocationStore, storedId } from '../lambda/revocation/index.js';
import { InvalidMessageError, type InvalidMessageReason, RevocationWriteError } from '../lambda/shared/index.js';
import { createIngestHandler, type IngestHandler, type IngestRecorder } from '../lambda/ingest-handler.js';
import { messageCorpus as corpus } from './fixtures/messages/corpus.js';
import { FIXTURE_NOW_MS, wso2Fixture } from './fixtures/wso2/bodies.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { LogRecorder } from './support/log-recorder.js';
import { snsEvent, type SnsPublication } from '../local/sns-event.js';
import { createRevocationTable } from '../local/table-admin.js';

const ISSUER = 'https://issuer.example.com/';
const config = loadIngestConfig({});
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

let dynamo: LocalDynamo;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.stop());

class MetricsRecorder implements IngestRecorder {
  readonly rejections: InvalidMessageReason[] = [];
  readonly writes: ApplyResult[] = [];
  notApplicableCount = 0;
  rejected(reason: InvalidMessageReason) {
    this.rejections.push(reason);
  }
  notApplicable(count: number) {
    this.notApplicableCount += count;
  }
  written(result: ApplyResult) {
    this.writes.push(result);
  }
}

interface Fixture {
  readonly table: string;
  readonly store: RevocationStore;
  readonly handler: IngestHandler;
  readonly log: LogRecorder;
  readonly metrics: MetricsRecorder;
  /** The handler's clock; tests move it. */
  nowMs: number;
}

async function fixture(options: { client?: DynamoDBClient; table?: string; nowMs?: number } = {}): Promise<Fixture> {
  const table = options.table ?? `revocations-${++tables}`;
  const store = new RevocationStore(options.client ?? dynamo.client, table, { sleep: async () => {} });
  await createRevocationTable(options.client ?? dynamo.client, table);
  const log = new LogRecorder();
  const metrics = new MetricsRecorder();
  const state = { nowMs: options.nowMs ?? Date.now() } as Fixture;
  const handler = createIngestHandler({ store, config, log, metrics, now: () => state.nowMs });
  return Object.assign(state, { table, store, handler, log, metrics });
}

/**
 * Every revocation item of a table, raw, sorted by key: what "stored state is untouched" compares.
 * The change-head items (`head#…`, raised after each batch) are left out: test/fleet-sync.test.ts
 * covers them.
 */
async function items(table: string, client: DynamoDBClient = dynamo.client): Promise<Record<string, AttributeValue>[]> {
  const found: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey, ConsistentRead: true }));
    found.push(...(page.Items ?? []).filter((item) => !isHeadKey(item.pk!.S!)));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return found.sort((a, b) => (a.pk!.S! < b.pk!.S! ? -1 : 1));
}

/** The table read back as revocations, expired ones included. */
async function stored(table: string, client?: DynamoDBClient): Promise<Revocation[]> {
  return (await items(table, client)).map((item) => {
    const key = parseRevocationKey(item.pk!.S!)!;
    const expiresAtEpochSeconds = Number(item.expiresAt!.N);
    if (key.kind === 'jti') return { kind: 'jti', issuer: key.issuer, jti: key.id, expiresAtEpochSeconds };
    return { kind: key.kind, issuer: key.issuer, id: key.id, revokedAtEpochMs: Number(item.revokedAt!.N), expiresAtEpochSeconds };
  });
}

const sortRevocations = (revocations: Revocation[]) => [...revocations].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

async function refusal(handler: IngestHandler, event: SNSEvent): Promise<InvalidMessageError> {
  try {
    await handler(event);
  } catch (error) {
    if (error instanceof InvalidMessageError) return error;
    throw error;
  }
  throw new Error('expected the invocation to fail, it succeeded');
}

function publish(message: unknown, attributes?: SnsPublication['attributes'], publishedAtMs = Date.now()): SNSEvent {
  return snsEvent({
    message: typeof message === 'string' ? message : JSON.stringify(message),
    attributes,
    timestamp: new Date(publishedAtMs),
  });
}

describe('ingest handler', () => {
  describe('every accepted format', () => {
    it.each(corpus.valid.map((entry) => [entry.name, entry] as const))('stores %s', async (_name, entry) => {
      // Prepare
      const f = await fixture({ nowMs: corpus.nowMs });
      const event = publish(entry.raw ?? entry.message, entry.attributes, corpus.nowMs);

      // Act
      const summary = await f.handler(event);

      // Assess
      expect(sortRevocations(await stored(f.table))).toEqual(sortRevocations(entry.expect!));
      expect(summary.revocations).toBe(entry.expect!.length);
    });

    it('writes TTLs in epoch seconds and cut-offs in epoch milliseconds, whatever the format', async () => {
      // Prepare
      const f = await fixture({ nowMs: corpus.nowMs });

      // Act
      for (const entry of corpus.valid) await f.handler(publish(entry.raw ?? entry.message, entry.attributes));

      // Assess
      const all = await items(f.table);
      expect(all.length).toBeGreaterThan(10);
      for (const item of all) {
        expect(Number(item.expiresAt!.N)).toBeGreaterThan(1_700_000_000);
        expect(Number(item.expiresAt!.N)).toBeLessThan(1e10);
        expect(Number(item.revokedAt!.N)).toBeGreaterThan(1e12);
      }
    });
  });

  describe('WSO2 routine events', () => {
    it('acknowledges a Default event (an opaque token) without writing: logged without its token, counted as not applicable', async () => {
      // Prepare: the body as API-M 4.x puts it on the topic (test/fixtures/wso2/bodies.ts, default-opaque).
      const f = await fixture();
      const body = wso2Fixture('default-opaque').body;

      // Act
      const summary = await f.handler(publish(body));

      // Assess
      expect(summary).toMatchObject({ messages: 1, notApplicable: 1, revocations: 0 });
      expect(await items(f.table)).toEqual([]);
      expect(f.metrics.notApplicableCount).toBe(1);
      expect(f.metrics.rejections).toEqual([]);
      const line = f.log.lines.find((entry) => entry.message.startsWith('revocation message not applicable'));
      expect(line).toMatchObject({ level: 'info', extra: { type: 'Default', eventId: 'd574a6a1-bd92-4e45-8617-8293a4b5c6d7' } });
      expect(f.log.text).not.toContain(JSON.parse(body).event.payloadData.revokedToken);
    });

    it('writes the revocations of a batch of records and acknowledges the Default events among them', async () => {
      // Prepare
      const f = await fixture({ nowMs: FIXTURE_NOW_MS });
      const records = ['default-opaque', 'jwt-by-jti', 'default-opaque'].map((id) => publish(wso2Fixture(id).body).Records[0]!);

      // Act
      const summary = await f.handler({ Records: records });

      // Assess
      expect(summary).toMatchObject({ messages: 3, notApplicable: 2, revocations: 1, applied: { jti: 1, subject: 0, client: 0 } });
      expect(f.metrics.notApplicableCount).toBe(2);
    });

    it('refuses a batch revocation signal, whose revocations are not in the message, so it is dead-lettered and alarmed', async () => {
      // Prepare
      const f = await fixture();
      const body =
        '{"event":{"payloadData":{"eventId":"e1","revokedToken":"","ttl":"5000","expiryTime":0,"type":"token_revocation_batch","tenantId":-1234}}}';

      // Act
      const error = await refusal(f.handler, publish(body));

      // Assess
      expect({ reason: error.reason, path: error.path }).toEqual({ reason: 'unknown_type', path: 'event.payloadData.type' });
      expect(error.message).toMatch(/control plane/);
      expect(f.metrics.rejections).toEqual(['unknown_type']);
      expect(f.metrics.notApplicableCount).toBe(0);
    });
  });

  describe('WSO2 indirect events', () => {
    it('turns a base64 SUBJECT_ENTITY_REVOCATION_EVENT for a user into a subject cut-off of the issuer named by the attribute', async () => {
      // Prepare
      const f = await fixture();
      const revocationTime = f.nowMs - 5000;
      const event = publish(
        {
          event: {
            payloadData: {
              eventId: '1f9c5f1e-3f8a-4c55-9a0e-5b7a1b2c3d4e',
              revokedToken: b64({
                entityId: '5c1d0f6e-user',
                entityType: 'USER_ID',
                revocationTime: String(revocationTime),
                organization: 'carbon.super',
              }),
              ttl: '3600',
              expiryTime: 0,
              type: 'SUBJECT_ENTITY_REVOCATION_EVENT',
              tenantId: -1234,
            },
          },
        },
        { issuer: ISSUER },
      );

      // Act
      const summary = await f.handler(event);

      // Assess
      expect(summary.applied).toEqual({ jti: 0, subject: 1, client: 0, session: 0 });
      expect(await stored(f.table)).toEqual([
        {
          kind: 'subject',
          issuer: ISSUER,
          id: '5c1d0f6e-user',
          revokedAtEpochMs: revocationTime,
          expiresAtEpochSeconds: Math.ceil(revocationTime / 1000) + 86_400 + 60,
        },
      ]);
    });

    it('turns a base64 CONSUMER_APP_REVOCATION_EVENT into a client cut-off for every issuer', async () => {
      // Prepare
      const f = await fixture();
      const revocationTime = f.nowMs - 1000;
      const event = publish({
        event: {
          payloadData: {
            revokedToken: b64({ consumerKey: 'q8Yd1_consumer', revocationTime: String(revocationTime) }),
            type: 'CONSUMER_APP_REVOCATION_EVENT',
            tenantId: -1234,
          },
        },
      });

      // Act
      await f.handler(event);

      // Assess
      expect(await stored(f.table)).toEqual([
        expect.objectContaining({ kind: 'client', issuer: '*', id: 'q8Yd1_consumer', revokedAtEpochMs: revocationTime }),
      ]);
    });

    it('keeps an existing cut-off when a subject event with a malformed revocationTime arrives (the WSO2 gateway stored 0)', async () => {
      // Prepare
      const f = await fixture();
      const revocationTime = f.nowMs - 1000;
      const subjectEvent = (time: unknown) =>
        publish({
          event: {
            payloadData: {
              revokedToken: b64({ entityId: 'u-1', entityType: 'USER_ID', revocationTime: time }),
              type: 'SUBJECT_ENTITY_REVOCATION_EVENT',
            },
          },
        });
      await f.handler(subjectEvent(String(revocationTime)));
      const before = await items(f.table);
      f.nowMs += 10_000;

      // Act
      const refusals = [];
      for (const time of ['not-a-number', '', '0', '-1', null, '1.5e12', String(Math.floor(revocationTime / 1000))]) {
        refusals.push(await refusal(f.handler, subjectEvent(time)));
      }

      // Assess
      expect(refusals.map((error) => error.reason)).toEqual([
        'invalid_time',
        'invalid_time',
        'invalid_time',
        'invalid_time',
        'missing_field',
        'invalid_time',
        'invalid_time',
      ]);
      expect(await items(f.table)).toEqual(before);
    });
  });

  describe('writes', () => {
    it('treats a duplicate message as a no-op, not an error', async () => {
      // Prepare
      const f = await fixture();
      const event = publish({
        revocations: [
          { type: 'jti', jti: 'dup-1', exp: Math.floor(f.nowMs / 1000) + 600 },
          { type: 'subject', sub: 'alice', revokedAt: f.nowMs - 1 },
        ],
      });
      await f.handler(event);
      const before = await items(f.table);
      f.nowMs += 5000;

      // Act
      const summary = await f.handler(event);

      // Assess
      expect(summary.applied).toEqual({ jti: 0, subject: 0, client: 0, session: 0 });
      expect(summary.unchanged).toEqual({ jti: 1, subject: 1, client: 0, session: 0 });
      expect(await items(f.table)).toEqual(before);
      expect(f.metrics.writes.at(-1)).toEqual({ applied: summary.applied, unchanged: summary.unchanged });
    });

    it('gives a redelivered subject message without revokedAt the cut-off of its first delivery (SNS Timestamp)', async () => {
      // Prepare: SNS delivers at least once, and Lambda retries a failed invocation minutes later.
      const f = await fixture();
      const publishedAtMs = f.nowMs - 1000;
      const event = publish({ type: 'subject', sub: 'alice', iss: ISSUER }, undefined, publishedAtMs);
      await f.handler(event);

      // Act
      f.nowMs += 10 * 60_000;
      const redelivery = await f.handler(event);

      // Assess: alice's tokens issued since the first delivery stay valid.
      expect(redelivery.unchanged.subject).toBe(1);
      expect(await stored(f.table)).toEqual([expect.objectContaining({ kind: 'subject', id: 'alice', revokedAtEpochMs: publishedAtMs })]);
    });

    it('keeps a session revocation one token lifetime from its first publish time: a redelivery is a no-op, a later revocation extends it', async () => {
      // Prepare
      const f = await fixture();
      const publishedAtMs = f.nowMs - 1000;
      const event = publish({ type: 'session', sid: 'kc-session-1', iss: ISSUER }, undefined, publishedAtMs);
      const first = await f.handler(event);
      const retentionSeconds = config.maxTokenLifetimeSeconds + config.clockToleranceSeconds;

      // Act
      f.nowMs += 10 * 60_000;
      const redelivery = await f.handler(event);
      const again = await f.handler(publish({ type: 'session', sid: 'kc-session-1', iss: ISSUER }, undefined, f.nowMs));

      // Assess
      expect([first.applied.session, redelivery.unchanged.session, again.applied.session]).toEqual([1, 1, 1]);
      expect(await stored(f.table)).toEqual([
        {
          kind: 'session',
          issuer: ISSUER,
          id: 'kc-session-1',
          revokedAtEpochMs: f.nowMs,
          expiresAtEpochSeconds: Math.ceil(f.nowMs / 1000) + retentionSeconds,
        },
      ]);
      expect(f.metrics.writes.map((write) => write.applied.session)).toEqual([1, 0, 1]);
    });

    it('never moves a cut-off back: an older event after a newer one changes nothing', async () => {
      // Prepare
      const f = await fixture();
      const newer = f.nowMs - 1000;
      const older = f.nowMs - 60_000;
      await f.handler(publish({ type: 'subject', sub: 'alice', revokedAt: newer }));
      await f.handler(publish({ type: 'client', clientId: 'app-7', revokedAt: newer }));

      // Act
      const subject = await f.handler(publish({ type: 'subject', sub: 'alice', revokedAt: older }));
      const client = await f.handler(publish({ type: 'client', clientId: 'app-7', revokedAt: older }));

      // Assess
      expect([subject.unchanged.subject, client.unchanged.client]).toEqual([1, 1]);
      expect((await stored(f.table)).map((r) => (r.kind === 'jti' ? undefined : r.revokedAtEpochMs))).toEqual([newer, newer]);
    });

    it('moves a cut-off forward when a newer event arrives', async () => {
      // Prepare
      const f = await fixture();
      await f.handler(publish({ type: 'subject', sub: 'alice', revokedAt: f.nowMs - 60_000 }));

      // Act
      const summary = await f.handler(publish({ type: 'subject', sub: 'alice', revokedAt: f.nowMs - 1000 }));

      // Assess
      expect(summary.applied.subject).toBe(1);
      expect(await stored(f.table)).toEqual([expect.objectContaining({ revokedAtEpochMs: f.nowMs - 1000 })]);
    });

    it('clamps a revocation time in the future to now plus the clock tolerance', async () => {
      // Prepare
      const f = await fixture();

      // Act
      await f.handler(publish({ type: 'subject', sub: 'alice', revokedAt: f.nowMs + 3_600_000 }));

      // Assess
      expect(await stored(f.table)).toEqual([expect.objectContaining({ revokedAtEpochMs: f.nowMs + config.clockToleranceSeconds * 1000 })]);
    });

    it('writes the latest of several revocations of one subject in a batch once', async () => {
      // Prepare
      const f = await fixture();
      const times = [f.nowMs - 3000, f.nowMs - 1000, f.nowMs - 2000];

      // Act
      const summary = await f.handler(publish({ revocations: times.map((revokedAt) => ({ type: 'subject', sub: 'alice', revokedAt })) }));

      // Assess
      expect(summary).toMatchObject({ revocations: 1, applied: { subject: 1 } });
      expect(await stored(f.table)).toEqual([expect.objectContaining({ revokedAtEpochMs: f.nowMs - 1000 })]);
    });
  });

  describe('refused messages', () => {
    const garbage: [string, string, InvalidMessageReason][] = [
      ['an empty message', '', 'malformed_json'],
      ['a message that is not JSON', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl', 'malformed_json'],
      ['binary garbage', '\u0000\u0001\u0002\ufffd\ufffd', 'malformed_json'],
      ['a JSON array', '[1,2,3]', 'unknown_format'],
      ['an object of no known format', '{"action":"revoke","user":"alice"}', 'unknown_format'],
      ['an unknown type', '{"type":"everything"}', 'unknown_type'],
      ['a message larger than SNS allows', JSON.stringify({ type: 'jti', jti: 'x', pad: 'p'.repeat(300_000) }), 'too_large'],
    ];

    it.each(garbage)('fails the invocation on %s and leaves the table untouched', async (_name, message, reason) => {
      // Prepare
      const f = await fixture();
      await f.handler(publish({ type: 'subject', sub: 'alice', revokedAt: f.nowMs - 1000 }));
      const before = await items(f.table);
      const event = publish(message);

      // Act
      const error = await refusal(f.handler, event);

      // Assess
      expect(error.reason).toBe(reason);
      expect(await items(f.table)).toEqual(before);
      expect(f.metrics.rejections).toEqual([reason]);
    });

    it.each(corpus.invalid.map((entry) => [entry.name, entry] as const))('fails the invocation on %s', async (_name, entry) => {
      // Prepare
      const f = await fixture({ nowMs: corpus.nowMs });

      // Act
      const error = await refusal(f.handler, publish(entry.raw ?? entry.message, entry.attributes));

      // Assess
      expect(error.reason).toBe(entry.reason);
      expect(await items(f.table)).toEqual([]);
    });

    it('logs one structured line with code, reason, path and message id, and never the token', async () => {
      // Prepare
      const f = await fixture();
      const token = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLmNvbS8iLCJqdGkiOiJ0MSJ9.c2lnbmF0dXJl';
      const event = snsEvent({ message: JSON.stringify({ type: 'token', token }), messageId: '2d1c7b8e-0f5a-5e1b-9c3d-4a5b6c7d8e9f' });

      // Act
      await refusal(f.handler, event);

      // Assess
      expect(f.log.lines).toEqual([
        {
          level: 'error',
          message: expect.stringMatching(/^revocation message rejected: token\.exp: /),
          extra: expect.objectContaining({
            code: 'ERR_INVALID_MESSAGE',
            reason: 'missing_field',
            path: 'token.exp',
            messageId: '2d1c7b8e-0f5a-5e1b-9c3d-4a5b6c7d8e9f',
          }),
        },
      ]);
      expect(f.log.text).not.toContain(token.split('.')[1]!.slice(0, 16));
    });

    it('writes nothing from a batch with one bad entry', async () => {
      // Prepare
      const f = await fixture();
      const entries = Array.from({ length: 50 }, (_, i) => ({ type: 'jti', jti: `batch-${i}` }));
      entries.splice(37, 0, { type: 'jti', jti: '' });

      // Act
      const error = await refusal(f.handler, publish({ revocations: entries }));

      // Assess
      expect({ reason: error.reason, path: error.path }).toEqual({ reason: 'invalid_id', path: 'revocations[37].jti' });
      expect(await items(f.table)).toEqual([]);
    });

    it('writes nothing from an event whose second record is bad', async () => {
      // Prepare
      const f = await fixture();
      const event = snsEvent(JSON.stringify({ type: 'jti', jti: 'good' }), JSON.stringify({ type: 'jti' }));

      // Act
      const error = await refusal(f.handler, event);

      // Assess
      expect(error.path).toBe('jti');
      expect(await items(f.table)).toEqual([]);
    });

    it('names the entry and the record of a revocation whose issuer the table key cannot hold, and writes nothing', async () => {
      // Prepare: A, then [A, A, X] in a second record. X's issuer is 500 slashes long: within the
      // 512-byte limit, but %-encoded it is 1,515 bytes, more than the 1,015 the 2,048-byte key
      // leaves an issuer. Once the records are merged X would be the second revocation.
      const f = await fixture();
      const good = { type: 'jti', jti: 'a1' };
      const tooLong = { type: 'jti', jti: 'x'.repeat(600), iss: 'https://i' + '/'.repeat(500) };
      const event = snsEvent(
        { message: JSON.stringify(good), messageId: 'record-1' },
        { message: JSON.stringify({ revocations: [good, good, tooLong] }), messageId: 'record-2' },
      );

      // Act
      const error = await refusal(f.handler, event);

      // Assess
      expect({ reason: error.reason, path: error.path }).toEqual({ reason: 'invalid_field', path: 'revocations[2].iss' });
      expect(f.log.lines).toEqual([
        expect.objectContaining({ level: 'error', extra: expect.objectContaining({ path: 'revocations[2].iss', messageId: 'record-2' }) }),
      ]);
      expect(f.metrics.rejections).toEqual(['invalid_field']);
      expect(await items(f.table)).toEqual([]);
    });

    it('writes a revocation of an id too long or too strange to store as it is under its hash, and logs no id', async () => {
      // Prepare
      const f = await fixture();
      const ids = ['u'.repeat(3000), 'bob\u0085', 'x\ud800'];

      // Act
      const summary = await f.handler(publish({ revocations: ids.map((sub) => ({ type: 'subject', sub, revokedAt: f.nowMs })) }));

      // Assess
      expect(summary).toMatchObject({ revocations: 3, applied: { subject: 3 } });
      expect((await stored(f.table)).map((revocation) => (revocation as { id: string }).id).sort()).toEqual(ids.map(storedId).sort());
      expect(f.log.text).not.toContain('uuuuuuuu');
      expect(f.log.text).not.toContain('bob');
    });

    it('refuses an issuer attribute that is not a String attribute', async () => {
      // Prepare
      const f = await fixture();
      const event = publish({ type: 'jti', jti: 'a' }, { issuer: { Type: 'Binary', Value: Buffer.from(ISSUER).toString('base64') } });

      // Act
      const error = await refusal(f.handler, event);

      // Assess
      expect({ reason: error.reason, path: error.path }).toEqual({ reason: 'invalid_field', path: 'MessageAttributes.issuer' });
    });

    it('refuses an event that SNS did not deliver', async () => {
      // Prepare
      const f = await fixture();

      // Act
      const errors = [
        await refusal(f.handler, {} as SNSEvent),
        await refusal(f.handler, { Records: [{ EventSource: 'aws:sqs', body: '{}' }] } as unknown as SNSEvent),
      ];

      // Assess
      expect(errors.map((error) => error.reason)).toEqual(['unknown_format', 'unknown_format']);
    });

    it('takes a hand-built record that carries only Sns.Message, and refuses one from another source', async () => {
      // Prepare
      const f = await fixture();
      const message = JSON.stringify({ type: 'jti', jti: 'minimal-record', iss: 'https://issuer.example.com/' });

      // Act
      const summary = await f.handler({ Records: [{ Sns: { Message: message } }] } as unknown as SNSEvent);
      const error = await refusal(f.handler, { Records: [{ EventSource: 'aws:sqs', Sns: { Message: message } }] } as unknown as SNSEvent);

      // Assess
      expect(summary.applied.jti).toBe(1);
      expect(await stored(f.table)).toEqual([expect.objectContaining({ kind: 'jti', jti: 'minimal-record' })]);
      expect(error.reason).toBe('unknown_format');
    });

    it('ignores message attributes it does not read', async () => {
      // Prepare
      const f = await fixture();
      const event = publish({ type: 'jti', jti: 'a' }, { source: 'admin-console', priority: { Type: 'Number', Value: '5' } });

      // Act
      const summary = await f.handler(event);

      // Assess
      expect(summary.applied.jti).toBe(1);
    });
  });

  describe('a 2,000-entry batch', () => {
    it('is written within one invocation, and converges when delivered again', async () => {
      // Prepare
      const f = await fixture();
      const nowSeconds = Math.floor(f.nowMs / 1000);
      const entries = Array.from({ length: 2000 }, (_, i) =>
        i % 4 === 0
          ? { type: 'subject', sub: `user-${i}`, revokedAt: f.nowMs - 1000 }
          : i % 4 === 1
            ? { type: 'client', clientId: `app-${i}`, revokedAt: f.nowMs - 1000 }
            : { type: 'jti', jti: `0b8f6c1e-${i}`, exp: nowSeconds + 900 },
      );
      const message = JSON.stringify({ version: 1, revocations: entries });
      expect(Buffer.byteLength(message)).toBeLessThanOrEqual(262_144);

      // Act
      const startedMs = performance.now();
      const first = await f.handler(publish(message));
      const elapsedMs = performance.now() - startedMs;
      const again = await f.handler(publish(message));

      // Assess
      expect(first.applied).toEqual({ jti: 1000, subject: 500, client: 500, session: 0 });
      expect(again.unchanged).toEqual({ jti: 1000, subject: 500, client: 500, session: 0 });
      expect(await items(f.table)).toHaveLength(2000);
      console.info(
        `2,000-entry batch into dynalite: ${Math.round(elapsedMs)} ms, ${Math.round(2000 / (elapsedMs / 1000))} revocations/s (write concurrency ${config.writeConcurrency})`,
      );
    }, 120_000);
  });

  describe('when DynamoDB is unavailable', () => {
    let disk: LocalDynamo;
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ingest-dynalite-'));
      disk = await startDynalite({ path: dir });
    });
    afterAll(async () => {
      await disk.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('fails the invocation, and the retry later reaches the same final state as an undisturbed delivery', async () => {
      // Prepare
      const f = await fixture({ client: disk.client, table: 'revocations' });
      const control = await fixture({ nowMs: f.nowMs });
      const message = JSON.stringify({
        revocations: [
          ...Array.from({ length: 200 }, (_, i) => ({ type: 'jti', jti: `outage-${i}` })),
          { type: 'subject', sub: 'alice', revokedAt: f.nowMs - 1000 },
          { type: 'client', clientId: 'app-7', revokedAt: f.nowMs - 1000 },
        ],
      });
      await f.handler(publish({ type: 'subject', sub: 'alice', revokedAt: f.nowMs - 120_000 }));
      await control.handler(publish({ type: 'subject', sub: 'alice', revokedAt: f.nowMs - 120_000 }));
      await disk.stop();

      // Act
      const failure = await f.handler(publish(message)).then(
        () => undefined,
        (error: unknown) => error,
      );
      await disk.start();
      const retry = await f.handler(publish(message));
      await control.handler(publish(message));

      // Assess
      expect(failure).toBeInstanceOf(RevocationWriteError);
      expect(f.log.lines.some((line) => line.level === 'error' && line.extra.code === 'ERR_REVOCATION_WRITE_FAILED')).toBe(true);
      expect(retry.applied).toEqual({ jti: 200, subject: 1, client: 1, session: 0 });
      expect(await stored('revocations', disk.client)).toEqual(await stored(control.table));
    });
  });
});
