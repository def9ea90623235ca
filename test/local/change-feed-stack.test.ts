import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedStore } from '../../lambda/feed/index.js';
import type { Revocation } from '../../lambda/revocation/index.js';
import { localDynamoClient } from '../../local/dynamo-server.js';
import { freePort, runCli, StackProcess } from './support/stack-process.js';

/**
 * LOCAL_CHANGE_FEED=1: the local stack runs the change-feed writer in its process against its
 * table, so a revocation published to the stack appears in a page the head counts, and the writer
 * stops with the stack.
 */
let dataDir: string;
let stack: StackProcess;
let env: Record<string, string>;
let dynamodbPort: number;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'revocation-authorizer-feed-stack-'));
  dynamodbPort = await freePort();
  env = { DATA_DIR: dataDir, DYNAMODB_PORT: String(dynamodbPort), LOCAL_SNAPSHOT_INTERVAL_MS: '0' };
  stack = await new StackProcess('node', await freePort(), { ...env, LOCAL_CHANGE_FEED: '1', FEED_INTERVAL_MS: '200' }).ready();
}, 60_000);
afterAll(async () => {
  await stack?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the local stack with LOCAL_CHANGE_FEED=1', () => {
  it('publishes a revoked jti in a feed page within a few intervals, and stops the writer on SIGTERM with exit code 0', async () => {
    const client = localDynamoClient(`http://127.0.0.1:${dynamodbPort}`, 'us-east-1');
    const feed = new FeedStore(client, 'revocations');

    const revoke = await runCli('revoke', ['--jti', 'feed-me'], { ...env, PORT: String(stack.port) });
    expect(revoke.code, revoke.stderr).toBe(0);
    const published: string[] = [];
    const deadline = Date.now() + 10_000;
    while (!published.includes('feed-me') && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 200));
      const head = await feed.readHeadConsistent();
      if (head === undefined || head.seq === 0) continue;
      published.length = 0;
      await feed.readPages(1, head.seq, Date.now() / 1000, (revocation: Revocation) => {
        if (revocation.kind === 'jti') published.push(revocation.jti);
      });
    }
    client.destroy();
    stack.signal('SIGTERM');
    const exit = await stack.exited;

    expect(published).toContain('feed-me');
    expect(exit, stack.output).toEqual({ code: 0, signal: null });
    expect(stack.output).not.toContain('change feed error');
  });
});
