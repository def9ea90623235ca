import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationStore, type Revocation } from '../../lambda/revocation/index.js';
import { localDynamoClient } from '../../local/dynamo-server.js';
import { importRevocations } from '../../local/table-admin.js';
import { DynamoProxy } from '../hardening/support/dynamo-proxy.js';
import { httpApiV2Event } from '../support/api-gateway-events.js';
import { BundleProcess } from '../support/bundle-process.js';
import { freePort, runCli, StackProcess } from './support/stack-process.js';

/**
 * Issue 12's "done when", on the local stack: 50,000 revocations imported, a snapshot taken with
 * `npm run snapshot`, then a fresh dist/authorizer.mjs process (nothing but environment variables)
 * reading that snapshot: a token revoked before the snapshot and one revoked after it are both
 * denied, a valid one allowed, and not one Scan request reaches DynamoDB (counted by a proxy in
 * front of the stack's dynalite). A corrupted snapshot is refused and the decisions stay correct.
 * How much faster the first decision is belongs to the bench (npm run bench), not to a timed test.
 */
const REVOCATIONS = 50_000;

let dataDir: string;
let stack: StackProcess;
let proxy: DynamoProxy;
let dynamodbEndpoint: string;
let issuer: string;
const processes: BundleProcess[] = [];
const snapshotPath = () => join(dataDir, 'revocations.snapshot');

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'revocation-authorizer-snapshot-stack-'));
  const [port, dynamodbPort] = [await freePort(), await freePort()];
  // The snapshot under test is the CLI's, taken after the import: this stack writes none. (Its
  // first write would build the CLI's on a delta of 50,000 items stamped in one millisecond, and
  // dynalite's index keys hash the table key to 24 bits, so such items collide and drop out of the
  // change index; DynamoDB's do not. The Scan reads the table itself.)
  stack = await new StackProcess('node', port, {
    DATA_DIR: dataDir,
    DYNAMODB_PORT: String(dynamodbPort),
    LOCAL_SNAPSHOT_INTERVAL_MS: '0',
  }).ready();
  dynamodbEndpoint = `http://127.0.0.1:${dynamodbPort}`;
  proxy = await DynamoProxy.start(dynamodbEndpoint);
  issuer = `http://localhost:${port}/_local/issuer`;
  const client = localDynamoClient(dynamodbEndpoint, 'us-east-1');
  const expiresAtEpochSeconds = Math.floor(Date.now() / 1000) + 3600;
  const seed = Array.from({ length: REVOCATIONS }, (): Revocation => ({ kind: 'jti', issuer, jti: randomUUID(), expiresAtEpochSeconds }));
  await importRevocations(client, 'revocations', seed, { concurrency: 16 });
  client.destroy();
}, 240_000);
afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await proxy?.stop();
  await stack?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

async function token(jti: string): Promise<string> {
  const response = await fetch(`${stack.url}/_local/token?sub=alice&jti=${jti}`);
  return (await response.text()).trim();
}

async function revoke(jti: string): Promise<void> {
  const client = localDynamoClient(dynamodbEndpoint, 'us-east-1');
  await new RevocationStore(client, 'revocations').applyRevocations([
    { kind: 'jti', issuer, jti, expiresAtEpochSeconds: Math.floor(Date.now() / 1000) + 3600 },
  ]);
  client.destroy();
}

/** A fresh authorizer process trusting the stack's demo issuer, reading DynamoDB through the counting proxy. */
function freshAuthorizer(): BundleProcess {
  const child = new BundleProcess('authorizer', {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    JWT_ISSUER: issuer,
    JWT_AUDIENCE: 'local-api',
    JWKS_URI: `${stack.url}/_local/jwks.json`,
    REVOCATION_SNAPSHOT_URI: pathToFileURL(snapshotPath()).href,
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  processes.push(child);
  return child;
}

async function decisions(authorizer: BundleProcess, jtis: readonly string[]): Promise<unknown[]> {
  const answers: unknown[] = [];
  for (const jti of jtis) {
    const invocation = await authorizer.invoke(httpApiV2Event(`Bearer ${await token(jti)}`));
    answers.push(invocation.ok ? (invocation.result as { isAuthorized: boolean }).isAuthorized : invocation.error);
  }
  return answers;
}

const scans = () => [...proxy.counts].filter(([key]) => key.startsWith('Scan:')).reduce((sum, [, count]) => sum + count, 0);

describe('a cold start from a snapshot on the local stack, 50,000 revocations', () => {
  it('denies a token revoked before the snapshot and one revoked after it, with no Scan request', async () => {
    await revoke('revoked-before-snapshot');
    const written = await runCli('snapshot', [], { DATA_DIR: dataDir });
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toMatch(
      /^wrote a snapshot of 50,001 revocations \(.* KiB, sha256 [0-9a-f]{16}…\) to file:\/\/.*revocations\.snapshot/,
    );
    await revoke('revoked-after-snapshot');

    const authorizer = freshAuthorizer();
    const answers = await decisions(authorizer, ['revoked-before-snapshot', 'revoked-after-snapshot', 'never-revoked']);

    expect(answers).toEqual([false, false, true]);
    expect(scans()).toBe(0);
    const loaded = authorizer.logLines().find((line) => line.message === 'revocations loaded');
    expect(loaded).toMatchObject({ source: 'snapshot', entries: { jti: 50_002 } });
  });

  it('refuses a corrupted snapshot by its checksum, and the Scan it falls back to decides the same', async () => {
    const bytes = await readFile(snapshotPath());
    bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
    await writeFile(snapshotPath(), bytes);

    const authorizer = freshAuthorizer();
    const answers = await decisions(authorizer, ['revoked-before-snapshot', 'revoked-after-snapshot', 'never-revoked']);

    expect(answers).toEqual([false, false, true]);
    expect(authorizer.logLines().find((line) => line.code === 'ERR_SNAPSHOT_REFUSED')).toMatchObject({ reason: 'checksum' });
    expect(authorizer.logLines().find((line) => line.message === 'revocations loaded')).toMatchObject({ source: 'scan', items: 50_002 });
    expect(scans()).toBeGreaterThan(0);
  });

  it('is read by the local stack’s own authorizer at cold start, and rewritten by the stack at shutdown', async () => {
    // The corrupted one is refused by the CLI too: it scans, and writes a good one.
    const rewritten = await runCli('snapshot', [], { DATA_DIR: dataDir });
    expect(rewritten.stdout).toContain('from a Scan of revocations');
    stack.signal('SIGTERM');
    expect(await stack.exited).toMatchObject({ code: 0 });

    stack = await new StackProcess('node', stack.port, { DATA_DIR: dataDir, DYNAMODB_PORT: new URL(dynamodbEndpoint).port }).ready();

    const authorizerLoad = stack.output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.message === 'revocations loaded' && line.service === 'revocation-authorizer');
    expect(authorizerLoad).toMatchObject({ source: 'snapshot', entries: { jti: 50_002 } });
    const response = await fetch(`${stack.url}/hello`, { headers: { authorization: `Bearer ${await token('revoked-after-snapshot')}` } });
    expect(response.status).toBe(403);
    const before = (await readFile(snapshotPath())).subarray(16, 48).toString('hex');
    await revoke('revoked-before-shutdown');
    stack.signal('SIGTERM');
    expect(await stack.exited).toMatchObject({ code: 0 });
    expect(stack.output).toContain('"message":"revocation snapshot written"');
    expect((await readFile(snapshotPath())).subarray(16, 48).toString('hex')).not.toBe(before);
  });
});
