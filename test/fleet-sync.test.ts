import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { INIT_DEADLINE_MS, REVOCATION_TABLE_SCHEMA } from '../lambda/contract/index.js';
import { headKey, RevocationStore, type Revocation } from '../lambda/revocation/index.js';
import { snsEvent } from '../local/sns-event.js';
import { createRevocationTable } from '../local/table-admin.js';
import { BundleProcess } from './support/bundle-process.js';
import { startDynalite, type LocalDynamo } from './support/dynalite.js';
import { TestIssuer } from './support/issuer.js';
import { decide, sleep, until } from './hardening/support/decisions.js';
import { DynamoProxy } from './hardening/support/dynamo-proxy.js';

/**
 * The sync that scales with the fleet (docs/design.md, "The change head"), and the cold start's
 * top-level await, through the built bundles: a proxy in front of dynalite counts what each
 * authorizer instance asks the table.
 */

const SYNC_INTERVAL_MS = 200;

let dynamo: LocalDynamo;
let issuer: TestIssuer;
let tables = 0;
const proxies: DynamoProxy[] = [];
const processes: BundleProcess[] = [];

beforeAll(async () => {
  [dynamo, issuer] = await Promise.all([startDynalite(), TestIssuer.start({ algorithms: ['RS256'] })]);
});
afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await Promise.all(proxies.map((proxy) => proxy.stop()));
  await Promise.all([dynamo?.stop(), issuer?.stop()]);
});

async function newTable(): Promise<{ name: string; store: RevocationStore }> {
  const name = `fleet-${++tables}`;
  await createRevocationTable(dynamo.client, name);
  return { name, store: new RevocationStore(dynamo.client, name) };
}

async function newProxy(): Promise<DynamoProxy> {
  const proxy = await DynamoProxy.start(dynamo.endpoint);
  proxies.push(proxy);
  return proxy;
}

function authorizerEnv(table: string, proxy: DynamoProxy, env: Record<string, string> = {}): Record<string, string> {
  return {
    ...dynamo.env,
    ...issuer.env,
    AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    REVOCATION_TABLE_NAME: table,
    REVOCATION_SYNC_INTERVAL_MS: String(SYNC_INTERVAL_MS),
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...env,
  };
}

function authorizer(table: string, proxy: DynamoProxy, env: Record<string, string> = {}): BundleProcess {
  const child = new BundleProcess('authorizer', authorizerEnv(table, proxy, env));
  processes.push(child);
  return child;
}

const exp = () => Math.floor(Date.now() / 1000) + 3600;
const revokeJti = (jti: string): Revocation => ({ kind: 'jti', issuer: issuer.issuer, jti, expiresAtEpochSeconds: exp() + 60 });

describe.concurrent('dist/authorizer.mjs delta sync with the change head', () => {
  it('reads one head item per sync interval while idle, and no shard of the change index', async () => {
    // Prepare: a revocation written a minute before the start (one written within the overlap
    // before a load makes the instance query until an overlap has passed).
    const { name, store } = await newTable();
    await store.applyRevocations([revokeJti('before-start')], { nowMs: Date.now() - 60_000 });
    const proxy = await newProxy();
    const child = authorizer(name, proxy);
    const token = await issuer.token();
    expect(await decide(child, token)).toBe('allow');
    const queriesAfterStart = proxy.count('Query', 'pass');

    // Act: requests for 2 s, several per interval.
    const endMs = performance.now() + 2000;
    let decisions = 0;
    while (performance.now() < endMs) {
      expect(await decide(child, token)).toBe('allow');
      decisions++;
      await sleep(40);
    }

    // Assess: about one GetItem per 200 ms interval, not one per decision, and no Query at all.
    const headReads = proxy.count('GetItem', 'pass');
    expect(proxy.count('Query', 'pass')).toBe(queriesAfterStart);
    expect(queriesAfterStart).toBe(0);
    expect(headReads).toBeGreaterThanOrEqual(5);
    expect(headReads).toBeLessThanOrEqual(11);
    expect(decisions).toBeGreaterThan(headReads);
  });

  it('queries the change index once a revocation raised the head, and enforces it within the interval', async () => {
    // Prepare
    const { name, store } = await newTable();
    const proxy = await newProxy();
    const child = authorizer(name, proxy);
    const token = await issuer.token({ jti: 'revoked-while-warm' });
    expect(await decide(child, token)).toBe('allow');
    await sleep(3 * SYNC_INTERVAL_MS);
    await decide(child, token);
    expect(proxy.count('Query', 'pass')).toBe(0);

    // Act
    await store.applyRevocations([revokeJti('revoked-while-warm')]);
    const denied = await until(child, token, (outcome) => outcome === 'deny:revoked_jti', 3000);

    // Assess
    expect(denied?.afterMs).toBeLessThan(2 * SYNC_INTERVAL_MS + 500);
    expect(proxy.count('Query', 'pass')).toBeGreaterThan(0);
  });

  it('raises every head replica from the ingest bundle once its writes are done', async () => {
    const { name } = await newTable();
    const ingest = new BundleProcess('ingest', { ...dynamo.env, REVOCATION_TABLE_NAME: name, POWERTOOLS_METRICS_DISABLED: 'true' });
    processes.push(ingest);
    const beforeMs = Date.now();

    const result = await ingest.invoke(snsEvent(JSON.stringify({ type: 'jti', jti: 'through-ingest', exp: exp() })));

    expect(result).toMatchObject({ ok: true, result: { applied: { jti: 1 } } });
    for (let replica = 0; replica < REVOCATION_TABLE_SCHEMA.head.replicas; replica++) {
      const { Item } = await dynamo.client.send(
        new GetItemCommand({ TableName: name, Key: { pk: { S: headKey(replica) } }, ConsistentRead: true }),
      );
      expect(Number(Item?.headAt?.N)).toBeGreaterThanOrEqual(beforeMs);
    }
  });
});

/**
 * Imports dist/authorizer.mjs in a fresh process, as Lambda's init phase does, and reports how long
 * the import took and whether the module's cold-start work had settled when it resolved.
 */
function importAuthorizer(env: Record<string, string>): Promise<{ importMs: number; coldStart: string; output: string }> {
  const script = `
    const startedMs = performance.now();
    const module = await import(process.env.BUNDLE_URL);
    const importMs = performance.now() - startedMs;
    const coldStart = await Promise.race([
      module.coldStart.then(() => 'loaded', () => 'failed'),
      new Promise((resolve) => setImmediate(() => resolve('pending'))),
    ]);
    process.stdout.write('@@RESULT ' + JSON.stringify({ importMs, coldStart }) + '\\n');
    process.exit(0);
  `;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        BUNDLE_URL: pathToFileURL(resolve('dist', 'authorizer.mjs')).href,
        ...env,
      },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      const line = output.split('\n').find((entry) => entry.startsWith('@@RESULT '));
      if (line === undefined) reject(new Error(`no result from the import:\n${output}`));
      else resolvePromise({ ...(JSON.parse(line.slice('@@RESULT '.length)) as { importMs: number; coldStart: string }), output });
    });
  });
}

describe.concurrent('dist/authorizer.mjs top-level await of the cold start', () => {
  it('resolves its import only once the revocations are loaded, however long the scan takes', async () => {
    // Prepare: every Scan answer trickles in a byte every 5 ms, so the load takes a second or more.
    const { name, store } = await newTable();
    await store.applyRevocations([revokeJti('loaded-during-init')]);
    const proxy = await newProxy();
    proxy.trickleGapMs = 5;
    proxy.policy = (operation) => (operation === 'Scan' ? 'trickle' : 'pass');

    // Act
    const { importMs, coldStart, output } = await importAuthorizer(authorizerEnv(name, proxy));

    // Assess
    expect(coldStart, output).toBe('loaded');
    expect(importMs).toBeGreaterThan(500);
    expect(output).toContain('cold start ready');
  });

  it(
    'resolves its import at the init deadline when the load is not done, leaving the load to the first requests',
    async () => {
      // Prepare: the Scan answer never finishes arriving.
      const { name } = await newTable();
      const proxy = await newProxy();
      proxy.trickleGapMs = 60_000;
      proxy.policy = (operation) => (operation === 'Scan' ? 'trickle' : 'pass');

      // Act
      const { importMs, coldStart, output } = await importAuthorizer(authorizerEnv(name, proxy));

      // Assess
      expect(coldStart).toBe('pending');
      expect(importMs).toBeGreaterThanOrEqual(INIT_DEADLINE_MS - 50);
      expect(importMs).toBeLessThan(INIT_DEADLINE_MS + 3000);
      expect(output).toContain('cold start not ready at the init deadline');
    },
    INIT_DEADLINE_MS + 10_000,
  );
});
