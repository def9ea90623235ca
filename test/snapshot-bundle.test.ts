import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationStore, type Revocation } from '../lambda/revocation/index.js';
import { createRevocationTable } from '../local/table-admin.js';
import { DynamoProxy } from './hardening/support/dynamo-proxy.js';
import { httpApiV2Event } from './support/api-gateway-events.js';
import { BundleProcess } from './support/bundle-process.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { TestIssuer } from './support/issuer.js';
import { startS3, type LocalS3 } from './support/s3-server.js';

/**
 * The snapshot path end to end with the built bundles: dist/snapshot.mjs writes the snapshot (to a
 * real S3-compatible server, s3rver, and to a file), a fresh dist/authorizer.mjs loads it at cold
 * start through a proxy that counts every DynamoDB request, and decides.
 */
const TABLE = 'revocations';
const BUCKET = 'revocation-snapshots';
const KEY = 'prod/revocations.snapshot';

let dynamo: LocalDynamo;
let proxy: DynamoProxy;
let s3: LocalS3;
let issuer: TestIssuer;
let store: RevocationStore;
let directory: string;
const processes: BundleProcess[] = [];

beforeAll(async () => {
  [dynamo, issuer, s3] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] }), startS3([BUCKET])]);
  proxy = await DynamoProxy.start(dynamo.endpoint);
  store = new RevocationStore(dynamo.client, TABLE);
  directory = await mkdtemp(join(tmpdir(), 'revocation-authorizer-snapshot-'));
  await createRevocationTable(dynamo.client, TABLE);
});
afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await Promise.all([proxy.stop(), dynamo.stop(), issuer.stop(), s3.stop()]);
  await rm(directory, { recursive: true, force: true });
});

const exp = () => Math.floor(Date.now() / 1000) + 3600;
const revokeJti = (jti: string): Promise<unknown> =>
  store.applyRevocations([{ kind: 'jti', issuer: issuer.issuer, jti, expiresAtEpochSeconds: exp() } satisfies Revocation]);

function start(bundle: 'authorizer' | 'snapshot', snapshotUri: string, env: Record<string, string> = {}): BundleProcess {
  const child = new BundleProcess(bundle, {
    ...dynamo.env,
    ...issuer.env,
    ...s3.env,
    // Through the proxy: it counts every request by operation, so a Scan cannot go unseen.
    AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    REVOCATION_TABLE_NAME: TABLE,
    REVOCATION_SNAPSHOT_URI: snapshotUri,
    ...env,
  });
  processes.push(child);
  return child;
}

async function writeSnapshot(uri: string): Promise<Record<string, unknown>> {
  const writer = start('snapshot', uri, { POWERTOOLS_METRICS_DISABLED: 'true' });
  const invocation = await writer.invoke({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
  await writer.stop();
  if (!invocation.ok) throw new Error(`the snapshot function failed: ${JSON.stringify(invocation.error)}\n${writer.output}`);
  return invocation.result as Record<string, unknown>;
}

const scans = () => [...proxy.counts].filter(([key]) => key.startsWith('Scan:')).reduce((sum, [, count]) => sum + count, 0);

async function decide(authorizer: BundleProcess, jti: string): Promise<unknown> {
  const invocation = await authorizer.invoke(httpApiV2Event(`Bearer ${await issuer.token({ jti })}`));
  if (!invocation.ok) throw new Error(`the authorizer threw: ${JSON.stringify(invocation.error)}\n${authorizer.output}`);
  return (invocation.result as { isAuthorized: boolean }).isAuthorized;
}

describe.each([
  ['an S3 object on s3rver', () => `s3://${BUCKET}/${KEY}`],
  ['a file', () => pathToFileURL(join(directory, 'snapshot.bin')).href],
])('a snapshot in %s', (_where, uriOf) => {
  it('is written by dist/snapshot.mjs and loaded by a fresh dist/authorizer.mjs without one Scan request, revocations before and after it denied', async () => {
    const uri = uriOf();
    const tag = uri.startsWith('s3') ? 's3' : 'file';
    await revokeJti(`${tag}-before-snapshot`);
    const report = await writeSnapshot(uri);
    expect(report).toMatchObject({ uri, source: 'scan' });
    expect(report.entries as number).toBeGreaterThanOrEqual(1);
    await revokeJti(`${tag}-after-snapshot`);
    const scansBefore = scans();

    const authorizer = start('authorizer', uri, { POWERTOOLS_METRICS_DISABLED: 'true' });
    const decisions = [
      await decide(authorizer, `${tag}-before-snapshot`),
      await decide(authorizer, `${tag}-after-snapshot`),
      await decide(authorizer, `${tag}-valid`),
    ];

    expect(decisions).toEqual([false, false, true]);
    expect(scans()).toBe(scansBefore);
    expect(proxy.count('Query', 'pass')).toBeGreaterThan(0);
    const loaded = authorizer.logLines().find((line) => line.message === 'revocations loaded');
    expect(loaded).toMatchObject({ source: 'snapshot', snapshot: { uri } });
    expect(authorizer.output).not.toContain('ERR_SNAPSHOT_REFUSED');
  });

  it('is built on by the next write: the writer loads it plus its delta instead of scanning', async () => {
    const uri = uriOf();
    await writeSnapshot(uri);
    const scansBefore = scans();

    const report = await writeSnapshot(uri);

    expect(report).toMatchObject({ source: 'snapshot' });
    expect(scans()).toBe(scansBefore);
  });
});

describe('a corrupted snapshot', () => {
  it('is refused by its checksum, counted with its reason, and the decisions are still correct (the Scan decides)', async () => {
    const uri = `s3://${BUCKET}/corrupted.snapshot`;
    await revokeJti('corrupt-before-snapshot');
    await writeSnapshot(uri);
    await revokeJti('corrupt-after-snapshot');
    const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'corrupted.snapshot' }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    bytes[bytes.length - 7]! ^= 0x40;
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'corrupted.snapshot', Body: bytes }));
    const scansBefore = scans();

    const authorizer = start('authorizer', uri);
    const decisions = [
      await decide(authorizer, 'corrupt-before-snapshot'),
      await decide(authorizer, 'corrupt-after-snapshot'),
      await decide(authorizer, 'corrupt-valid'),
    ];

    expect(decisions).toEqual([false, false, true]);
    expect(scans()).toBeGreaterThan(scansBefore);
    expect(authorizer.logLines().find((line) => line.message === 'revocation snapshot not used; loading with a Scan')).toMatchObject({
      level: 'WARN',
      code: 'ERR_SNAPSHOT_REFUSED',
      reason: 'checksum',
      uri,
    });
    expect(authorizer.logLines().find((line) => line.message === 'revocations loaded')).toMatchObject({ source: 'scan' });
    // The EMF line CloudWatch turns into the SnapshotFallbacks metric, with its reason dimension.
    const metric = authorizer.logLines().find((line) => 'SnapshotFallbacks' in line);
    expect(metric).toMatchObject({ SnapshotFallbacks: 1, reason: 'checksum', service: 'revocation-authorizer' });
  });

  it('is refused when a file is cut short, and the authorizer still loads with a Scan', async () => {
    const path = join(directory, 'truncated.bin');
    const uri = pathToFileURL(path).href;
    await writeSnapshot(uri);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 1000));

    const authorizer = start('authorizer', uri, { POWERTOOLS_METRICS_DISABLED: 'true' });

    expect(await decide(authorizer, 'corrupt-before-snapshot')).toBe(false);
    expect(authorizer.logLines().find((line) => line.code === 'ERR_SNAPSHOT_REFUSED')).toMatchObject({ reason: 'truncated' });
  });

  it('is missing before the first write: the authorizer scans, counting reason missing', async () => {
    const authorizer = start('authorizer', `s3://${BUCKET}/never-written.snapshot`, { POWERTOOLS_METRICS_DISABLED: 'true' });

    expect(await decide(authorizer, 'corrupt-before-snapshot')).toBe(false);
    expect(authorizer.logLines().find((line) => line.code === 'ERR_SNAPSHOT_REFUSED')).toMatchObject({ reason: 'missing' });
  });
});
