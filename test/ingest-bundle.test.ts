import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Revocation, RevocationStore } from '../lambda/revocation/index.js';
import { BundleProcess } from './support/bundle-process.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { snsEvent } from '../local/sns-event.js';
import { createRevocationTable } from '../local/table-admin.js';

const TABLE = 'revocations';
const ISSUER = 'https://issuer.example.com/';

let dynamo: LocalDynamo;
let store: RevocationStore;
let ingest: BundleProcess | undefined;
let feedIngest: BundleProcess | undefined;

beforeAll(async () => {
  dynamo = await startDynalite();
  store = new RevocationStore(dynamo.client, TABLE);
  await createRevocationTable(dynamo.client, TABLE);
});
afterAll(async () => {
  await ingest?.stop();
  await feedIngest?.stop();
  await dynamo.stop();
});

describe('dist/ingest.mjs, run as built in a fresh Node process', () => {
  it('writes revocations from SNS events, refuses a bad one, and logs and publishes metrics through Powertools', async () => {
    // Prepare
    ingest = new BundleProcess('ingest', { ...dynamo.env, REVOCATION_TABLE_NAME: TABLE });
    const revokedAt = Date.now() - 1000;
    const good = snsEvent({ message: JSON.stringify({ type: 'subject', sub: 'alice', revokedAt }), attributes: { issuer: ISSUER } });
    const bad = snsEvent({ message: 'not json', messageId: '7e0e1f2a-0000-4000-8000-00000000bad0' });

    // Act
    const accepted = await ingest.invoke(good);
    const refused = await ingest.invoke(bad);

    // Assess
    expect(accepted).toEqual({ ok: true, result: expect.objectContaining({ applied: { jti: 0, subject: 1, client: 0, session: 0 } }) });
    expect(refused).toEqual({
      ok: false,
      error: { name: 'InvalidMessageError', code: 'ERR_INVALID_MESSAGE', message: 'message is not valid JSON' },
    });
    const stored: Revocation[] = [];
    await store.scanLive(1, Date.now() / 1000, (revocation) => stored.push(revocation));
    expect(stored).toEqual([expect.objectContaining({ kind: 'subject', issuer: ISSUER, id: 'alice', revokedAtEpochMs: revokedAt })]);

    const lines = ingest.logLines();
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        code: 'ERR_INVALID_MESSAGE',
        reason: 'malformed_json',
        messageId: '7e0e1f2a-0000-4000-8000-00000000bad0',
        service: 'revocation-ingest',
      }),
    );
    const emf = lines.filter((line) => '_aws' in line);
    expect(emf).toContainEqual(expect.objectContaining({ RevocationsApplied: 1, kind: 'subject', service: 'revocation-ingest' }));
    expect(emf).toContainEqual(expect.objectContaining({ RevocationsUnchanged: 0 }));
    expect(emf).toContainEqual(expect.objectContaining({ MessagesRejected: 1, reason: 'malformed_json' }));
    for (const blob of emf) {
      expect(blob).toMatchObject({ _aws: { CloudWatchMetrics: [expect.objectContaining({ Namespace: 'RevocationAuthorizer' })] } });
    }
  });

  it('writes no change head with INGEST_RAISE_CHANGE_HEAD=false, and raises it by default', async () => {
    // Prepare
    await createRevocationTable(dynamo.client, 'feed-readers');
    feedIngest = new BundleProcess('ingest', { ...dynamo.env, REVOCATION_TABLE_NAME: 'feed-readers', INGEST_RAISE_CHANGE_HEAD: 'false' });
    const feedStore = new RevocationStore(dynamo.client, 'feed-readers');
    const message = (sub: string) =>
      snsEvent({ message: JSON.stringify({ type: 'subject', sub, revokedAt: Date.now() - 1000 }), attributes: { issuer: ISSUER } });

    // Act
    const accepted = await feedIngest.invoke(message('bob'));

    // Assess
    expect(accepted).toEqual({ ok: true, result: expect.objectContaining({ applied: { jti: 0, subject: 1, client: 0, session: 0 } }) });
    expect(await feedStore.readHead()).toEqual({ changedAtMs: undefined, feed: undefined });
    // The first test's process, with the default, raised the head of its table.
    expect((await store.readHead()).changedAtMs).toEqual(expect.any(Number));
  });
});
