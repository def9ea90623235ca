import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIssuer } from '../support/issuer.js';
import { childEnv, freePort, runCli, StackProcess } from './support/stack-process.js';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ANY_ISSUER, revocationKey } from '../../lambda/revocation/index.js';

/**
 * The local stack as a developer (and the outside tests) run it: spawned with its public
 * variables, driven over HTTP, the revoke CLI and @aws-sdk/client-sns. One stack per describe,
 * reused across its tests; every process is killed in afterAll whatever happened.
 */

/** REVOCATION_SYNC_INTERVAL_MS default: a revocation is enforced within it once the CLI returns. */
const SYNC_INTERVAL_MS = 1000;

async function call(url: string, token?: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  return fetch(url, { ...init, headers });
}

/** Resolves once the item with this key is in the local table: a write of that batch has landed. */
async function untilWriting(dynamoPort: number, pk: string): Promise<void> {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${dynamoPort}`,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  try {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      const { Item } = await client.send(new GetItemCommand({ TableName: 'revocations', Key: { pk: { S: pk } } }));
      if (Item !== undefined) return;
      await new Promise((done) => setTimeout(done, 5));
    }
    throw new Error(`no write of ${pk} within 10 s`);
  } finally {
    client.destroy();
  }
}

/** Asks until the token is refused; how long that took, or undefined after `limitMs`. */
async function deniedWithin(url: string, token: string, limitMs: number): Promise<number | undefined> {
  const startedMs = Date.now();
  while (Date.now() - startedMs < limitMs) {
    const response = await call(url, token);
    if (response.status === 403) return Date.now() - startedMs;
    expect(response.status).toBe(200);
    await new Promise((done) => setTimeout(done, 20));
  }
  return undefined;
}

describe('npm start, trusting a test-owned issuer', () => {
  let issuer: TestIssuer;
  let dataDir: string;
  let env: Record<string, string>;
  let port: number;
  const stacks: StackProcess[] = [];
  let stack: StackProcess;
  const revoked = { jti: '', subject: '', batch: '', subjectRevokedByMs: 0 };

  beforeAll(async () => {
    issuer = await TestIssuer.start({ algorithms: ['RS256'] });
    dataDir = await mkdtemp(join(tmpdir(), 'local-stack-'));
    port = await freePort();
    env = { ...issuer.env, DYNAMODB_PORT: String(await freePort()), DATA_DIR: dataDir };
    stack = new StackProcess('npm start', port, env);
    stacks.push(stack);
    await stack.ready();
  });
  afterAll(async () => {
    await Promise.all(stacks.map((child) => child.kill()));
    await issuer?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("prints the URLs and a copy-paste example once ready, after the authorizer's cold start", () => {
    expect(stack.output).toMatch(
      new RegExp(`Local stack ready in \\d+\\.\\d s \\(trusting ${issuer.issuer}; the authorizer loaded 0 revocations in \\d+ ms\\)`),
    );
    expect(stack.output.indexOf('"message":"cold start ready"')).toBeGreaterThan(-1);
    expect(stack.output.indexOf('"message":"cold start ready"')).toBeLessThan(stack.output.indexOf('Local stack ready'));
    expect(stack.output).toContain(`http://localhost:${port}/`);
    expect(stack.output).toContain(`echo "$TOKEN" | PORT=${port} npm run revoke -- --token -`);
  });

  it('answers 401 without a token and 403 for a token that is not a JWT, like API Gateway', async () => {
    const missing = await call(`${stack.url}/orders/42`);
    const garbage = await call(`${stack.url}/orders/42`, 'not.a.jwt');

    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ message: 'Unauthorized' });
    expect(garbage.status).toBe(403);
    expect(await garbage.json()).toEqual({ message: 'Forbidden' });
  });

  it('lets a valid token reach the echo backend, which shows its claims as the authorizer context', async () => {
    const token = await issuer.token({ sub: 'alice', client_id: 'web', jti: 'echo-1' });

    const response = await call(`${stack.url}/orders/42?expand=items`, token);

    expect(response.status).toBe(200);
    const body = (await response.json()) as { authorizer: Record<string, string>; event: Record<string, any> };
    expect(body.authorizer).toEqual({ iss: issuer.issuer, sub: 'alice', client_id: 'web', jti: 'echo-1', scope: 'read write' });
    expect(body.event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/orders/42',
      rawQueryString: 'expand=items',
      queryStringParameters: { expand: 'items' },
      requestContext: { http: { method: 'GET', path: '/orders/42' }, stage: '$default', authorizer: { lambda: body.authorizer } },
    });
  });

  it('denies the token on the first request once `npm run revoke -- --jti` has returned', async () => {
    // Prepare
    const token = await issuer.token({ sub: 'bob', jti: 'revoke-me-1' });
    expect((await call(`${stack.url}/x`, token)).status).toBe(200);

    // Act
    const startedMs = Date.now();
    const revoke = await runCli('revoke', ['--jti', 'revoke-me-1', '--iss', issuer.issuer], env, { viaNpm: true });
    const first = await call(`${stack.url}/x`, token);

    // Assess
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toContain('written to the revocation table and enforced by the gateway');
    expect(first.status).toBe(403);
    // It waited out one sync interval after the write, and not much more.
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(SYNC_INTERVAL_MS);
    revoked.jti = token;
  });

  it('takes Publish and PublishBatch from @aws-sdk/client-sns and enforces what they carry', async () => {
    // Prepare
    const sns = new SNSClient({
      region: 'us-east-1',
      endpoint: `${stack.url}/_local/sns`,
      credentials: { accessKeyId: 'any', secretAccessKey: 'any' },
    });
    const topicArn = 'arn:aws:sns:us-east-1:000000000000:revocations';
    const bySubject = await issuer.token({ sub: 'carol' });
    const byJti = await issuer.token({ sub: 'dave', jti: 'batch-jti-1' });

    // Act
    const published = await sns.send(
      new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify({ type: 'subject', sub: 'carol' }) }),
    );
    const subjectRevokedByMs = Date.now(); // T, the SNS Timestamp, is no later than this
    const batch = await sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: [
          { Id: 'good', Message: JSON.stringify({ type: 'jti', jti: 'batch-jti-1', iss: issuer.issuer }) },
          { Id: 'garbage', Message: 'this is not a revocation' },
          { Id: 'empty', Message: '' },
        ],
      }),
    );
    sns.destroy();

    // Assess
    expect(published.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(batch.Successful?.map((entry) => entry.Id)).toEqual(['good', 'garbage']);
    expect(batch.Failed).toEqual([expect.objectContaining({ Id: 'empty', Code: 'InvalidParameter', SenderFault: true })]);
    expect(await deniedWithin(`${stack.url}/x`, bySubject, SYNC_INTERVAL_MS + 1000)).toBeDefined();
    expect(await deniedWithin(`${stack.url}/x`, byJti, SYNC_INTERVAL_MS + 1000)).toBeDefined();
    // SNS accepted the garbage (as AWS would); the ingest refused it three times, so it is dead-lettered.
    const garbageId = batch.Successful!.find((entry) => entry.Id === 'garbage')!.MessageId;
    const deadLetters = (await readFile(join(dataDir, 'dead-letter.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(deadLetters).toContainEqual(
      expect.objectContaining({
        requestContext: expect.objectContaining({ condition: 'RetriesExhausted', approximateInvokeCount: 3 }),
        requestPayload: {
          Records: [
            expect.objectContaining({ Sns: expect.objectContaining({ MessageId: garbageId, Message: 'this is not a revocation' }) }),
          ],
        },
        responsePayload: expect.objectContaining({ errorType: 'InvalidMessageError' }),
      }),
    );
    revoked.subject = bySubject;
    revoked.batch = byJti;
    revoked.subjectRevokedByMs = subjectRevokedByMs;
  });

  it('stops with exit code 0 on SIGTERM to npm, finishing a Publish in flight, and denies every revoked token on the first request after a restart', async () => {
    // Prepare: a Publish whose 500 writes are still running when SIGTERM arrives.
    expect(revoked.jti && revoked.subject && revoked.batch).toBeTruthy();
    // A token of carol's is refused while iat * 1000 <= T, and iat counts whole seconds: only a
    // token issued in a later second than the cut-off is really fresh.
    const nextSecondMs = (Math.floor(revoked.subjectRevokedByMs / 1000) + 1) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextSecondMs + 5 - Date.now())));
    const fresh = await issuer.token({ sub: 'carol' });
    const inFlight = await issuer.token({ sub: 'oscar', jti: 'in-flight-499' });
    const sns = new SNSClient({
      region: 'us-east-1',
      endpoint: `${stack.url}/_local/sns`,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    const revocations = Array.from({ length: 500 }, (_, index) => ({ type: 'jti', jti: `in-flight-${index}` }));
    const publishing = sns.send(
      new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:revocations', Message: JSON.stringify({ revocations }) }),
    );
    // Signal only once the ingest is writing: a fixed pause would race a loaded machine, where the
    // request may not even have reached the stack yet.
    await untilWriting(Number(env.DYNAMODB_PORT), revocationKey('jti', ANY_ISSUER, 'in-flight-0'));

    // Act
    stack.signal('SIGTERM');
    const published = await publishing;
    const exit = await stack.exited;
    sns.destroy();
    stack = new StackProcess('npm start', port, env);
    stacks.push(stack);
    await stack.ready();
    const first = await call(`${stack.url}/x`, revoked.jti);

    // Assess
    expect(published.MessageId).toBeDefined();
    expect(exit, stacks[0]!.output).toEqual({ code: 0, signal: null });
    expect(stacks[0]!.output).toContain('stopped; data kept in');
    // The write finished after the signal: it really was in flight.
    expect(stacks[0]!.output.indexOf('SIGTERM: stopping')).toBeLessThan(stacks[0]!.output.indexOf('"revocations":500'));
    expect(first.status).toBe(403);
    // Ready only once the new instance had loaded every revocation: 500 + the three above.
    const loaded = /the authorizer loaded ([\d,]+) revocations in \d+ ms/.exec(stack.output)?.[1];
    expect(Number(loaded?.replaceAll(',', ''))).toBeGreaterThanOrEqual(503);
    expect((await call(`${stack.url}/x`, revoked.subject)).status).toBe(403);
    expect((await call(`${stack.url}/x`, revoked.batch)).status).toBe(403);
    expect((await call(`${stack.url}/x`, inFlight)).status).toBe(403);
    expect((await call(`${stack.url}/x`, fresh)).status).toBe(200);
  });
});

describe('tsx local/start.ts with the demo issuer and UPSTREAM_URL', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let stack: StackProcess;
  let upstream: Server;
  const upstreamRequests: { url: string; headers: IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      upstreamRequests.push({ url: request.url ?? '', headers: request.headers });
      response.writeHead(201, { 'content-type': 'text/plain', 'x-upstream': 'yes' }).end('from upstream');
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    dataDir = await mkdtemp(join(tmpdir(), 'local-stack-demo-'));
    const port = await freePort();
    env = {
      DYNAMODB_PORT: String(await freePort()),
      DATA_DIR: dataDir,
      UPSTREAM_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/base`,
    };
    // dist/ was built by `npm start` above; this one starts without rebuilding it.
    stack = await new StackProcess('node', port, env).ready();
    env.PORT = String(port);
  });
  afterAll(async () => {
    await stack?.kill();
    upstream?.closeAllConnections();
    await new Promise((done) => upstream?.close(done));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const mint = async (query: string) => {
    const response = await fetch(`${stack.url}/_local/token?${query}`);
    expect(response.status).toBe(200);
    return (await response.text()).trim();
  };

  it('mints tokens that reach UPSTREAM_URL with the authorizer context as x-authorizer-* headers', async () => {
    const token = await mint('sub=alice&client=web&jti=upstream-1');

    const response = await call(`${stack.url}/orders/7?a=1`, token, { headers: { 'x-authorizer-sub': 'mallory' } });

    expect(response.status).toBe(201);
    expect(response.headers.get('x-upstream')).toBe('yes');
    expect(await response.text()).toBe('from upstream');
    expect(upstreamRequests.at(-1)).toMatchObject({
      url: '/base/orders/7?a=1',
      headers: {
        'x-authorizer-sub': 'alice',
        'x-authorizer-client_id': 'web',
        'x-authorizer-jti': 'upstream-1',
        authorization: `Bearer ${token}`,
      },
    });
  });

  it('mints with `npm run token` too, and its JWKS is served under /_local', async () => {
    const minted = await runCli('token', ['--sub', 'erin', '--client', 'cli', '--json'], env);
    const jwks = (await (await fetch(`${stack.url}/_local/jwks.json`)).json()) as { keys: { kty: string; kid: string }[] };

    expect(minted.code, minted.stderr).toBe(0);
    const { access_token: token, claims } = JSON.parse(minted.stdout) as { access_token: string; claims: Record<string, unknown> };
    expect(claims).toMatchObject({ sub: 'erin', client_id: 'cli', aud: 'local-api', iss: `http://localhost:${env.PORT}/_local/issuer` });
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'EC', kid: expect.any(String) })]);
    expect((await call(`${stack.url}/x`, token)).status).toBe(201);
  });

  it('cuts off a subject and a client at --at: older tokens are denied, newer ones pass', async () => {
    // Prepare: tokens issued in second s0; cut-offs in the middle of s0; new tokens from s0 + 1 on.
    const oldBySub = await mint('sub=frank&client=c-one');
    const oldByClient = await mint('sub=grace&client=c-two');
    const iat = JSON.parse(Buffer.from(oldBySub.split('.')[1]!, 'base64url').toString()).iat as number;
    const cutOffMs = String(iat * 1000 + 500);

    // Act
    const bySub = await runCli('revoke', ['--sub', 'frank', '--at', cutOffMs], env);
    const byClient = await runCli('revoke', ['--client', 'c-two', '--at', cutOffMs], env);
    while (Date.now() < (iat + 1) * 1000) await new Promise((done) => setTimeout(done, 50));
    const newBySub = await mint('sub=frank&client=c-one');
    const newByClient = await mint('sub=grace&client=c-two');

    // Assess
    expect([bySub.code, byClient.code], bySub.stderr + byClient.stderr).toEqual([0, 0]);
    expect(await deniedWithin(`${stack.url}/x`, oldBySub, SYNC_INTERVAL_MS + 1000)).toBeDefined();
    expect(await deniedWithin(`${stack.url}/x`, oldByClient, SYNC_INTERVAL_MS + 1000)).toBeDefined();
    expect((await call(`${stack.url}/x`, newBySub)).status).toBe(201);
    expect((await call(`${stack.url}/x`, newByClient)).status).toBe(201);
  });

  it('revokes every token of a session with --session (minted after it too), and a session line of a --file, and no other', async () => {
    // Prepare: demo tokens carrying sid, from /_local/token and from `npm run token -- --sid`.
    const before = await mint('sub=trent&sid=local-session-1');
    const otherSession = await mint('sub=trent&sid=local-session-2');
    const noSession = await mint('sub=trent');
    const minted = await runCli('token', ['--sub', 'trent', '--sid', 'file-session', '--json'], env);
    expect(minted.code, minted.stderr).toBe(0);
    const { access_token: fromFileSession, claims } = JSON.parse(minted.stdout) as { access_token: string; claims: { sid: string } };
    expect(claims.sid).toBe('file-session');
    for (const token of [before, otherSession, noSession, fromFileSession]) expect((await call(`${stack.url}/x`, token)).status).toBe(201);
    const file = join(dataDir, 'sessions.txt');
    await writeFile(file, `${JSON.stringify({ type: 'session', sid: 'file-session' })}\n`);

    // Act
    const dryRun = await runCli('revoke', ['--session', 'local-session-1', '--dry-run'], env);
    const revoke = await runCli('revoke', ['--session', 'local-session-1'], env);
    const after = await mint('sub=trent&sid=local-session-1');
    const byFile = await runCli('revoke', ['--file', file], env);

    // Assess
    expect(JSON.parse(dryRun.stdout)).toEqual({ version: 1, type: 'session', sid: 'local-session-1' });
    expect([revoke.code, byFile.code], revoke.stderr + byFile.stderr).toEqual([0, 0]);
    expect(await deniedWithin(`${stack.url}/x`, before, SYNC_INTERVAL_MS + 1000)).toBeDefined();
    expect((await call(`${stack.url}/x`, after)).status).toBe(403);
    expect(await deniedWithin(`${stack.url}/x`, fromFileSession, SYNC_INTERVAL_MS + 1000)).toBeDefined();
    expect((await call(`${stack.url}/x`, otherSession)).status).toBe(201);
    expect((await call(`${stack.url}/x`, noSession)).status).toBe(201);
    expect(stack.output).toContain('(denied: revoked_session)');
  });

  it('revokes a whole token with --token, sending only its jti', async () => {
    const token = await mint('sub=heidi&jti=whole-token-1');

    const dryRun = await runCli('revoke', ['--token', token, '--dry-run'], env);
    const revoke = await runCli('revoke', ['--token', token], env);

    expect(dryRun.stdout).not.toContain(token);
    expect(JSON.parse(dryRun.stdout)).toMatchObject({
      version: 1,
      type: 'jti',
      jti: 'whole-token-1',
      iss: `http://localhost:${env.PORT}/_local/issuer`,
    });
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(await deniedWithin(`${stack.url}/x`, token, SYNC_INTERVAL_MS + 1000)).toBeDefined();
  });

  it('publishes a --file of jtis, tokens and JSON messages in batches', async () => {
    // Prepare: 1000 jtis (two packed messages), one of them a live token's; a token; a JSON message.
    const byJti = await mint('sub=ivan&jti=file-jti-500');
    const byToken = await mint('sub=judy');
    const bySubject = await mint('sub=mallory');
    const lines = Array.from({ length: 1000 }, (_, index) => `file-jti-${index}`);
    lines.push('# a comment', '', byToken, JSON.stringify({ type: 'subject', sub: 'mallory' }));
    const file = join(dataDir, 'revocations.txt');
    await writeFile(file, `${lines.join('\n')}\n`);

    // Act
    const revoke = await runCli('revoke', ['--file', file], env);

    // Assess
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toMatch(/published 1,002 revocations in 3 messages/);
    // Not a terminal: a plain line when publishing starts (then one every few seconds), no bar.
    expect(revoke.stderr).toContain(`revoke: publishing 1,002 revocations in 3 messages to the local stack`);
    expect(revoke.stderr).not.toContain('\r');
    for (const token of [byJti, byToken, bySubject]) {
      expect(await deniedWithin(`${stack.url}/x`, token, SYNC_INTERVAL_MS + 1000)).toBeDefined();
    }
  });

  it('reads a --file that is one JSON array, and publishes nothing when an item is invalid', async () => {
    // Prepare
    const byToken = await mint('sub=niaj');
    const good = join(dataDir, 'revocations.json');
    const bad = join(dataDir, 'revocations-bad.json');
    await writeFile(good, JSON.stringify(['array-jti-1', `${byToken}\n`, { type: 'client', clientId: 'array-client' }], null, 2));
    await writeFile(bad, JSON.stringify(['array-jti-2', { type: 'subject' }]));

    // Act
    const refused = await runCli('revoke', ['--file', bad], env);
    const revoke = await runCli('revoke', ['--file', good], env);

    // Assess
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('item 2: sub: is required');
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toMatch(/published 3 revocations in 2 messages/);
    expect(await deniedWithin(`${stack.url}/x`, byToken, SYNC_INTERVAL_MS + 1000)).toBeDefined();
  });

  it('exits 1 for a --raw body the ingest refuses, which lands in the dead-letter file', async () => {
    const revoke = await runCli('revoke', ['--raw', '{"type":"jti"}'], env);

    expect(revoke.code).toBe(1);
    expect(revoke.stderr).toContain('the local ingest rejected it after its retries: InvalidMessageError: jti: is required');
    expect(revoke.stderr).toContain(join(dataDir, 'dead-letter.jsonl'));
    const lines = (await readFile(join(dataDir, 'dead-letter.jsonl'), 'utf8')).trim().split('\n');
    expect(JSON.parse(lines.at(-1)!).requestPayload.Records[0].Sns.Message).toBe('{"type":"jti"}');
  });

  it('exits 2 with a one-line error pointing to --help for a command line it cannot run, publishing nothing', async () => {
    const results = await Promise.all([
      runCli('revoke', [], env),
      runCli('revoke', ['--jti', 'a', '--raw', 'b'], env),
      runCli('revoke', ['--sub', 'x', '--at', '1700000000'], env),
      runCli('revoke', ['--bogus'], env),
      runCli('revoke', ['--token', ''], env),
      runCli('token', ['--bogus'], env),
    ]);

    expect(results.map((result) => result.code)).toEqual([2, 2, 2, 2, 2, 2]);
    for (const result of results) {
      expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1);
      expect(result.stdout).toBe('');
    }
    expect(
      results
        .slice(0, 2)
        .concat(results.slice(3, 5))
        .map((result) => result.stderr),
    ).toEqual(Array(4).fill(expect.stringContaining('(npm run revoke -- --help for the usage)')));
    expect(results[2]!.stderr).toContain('looks like epoch seconds');
    expect(results[4]!.stderr).toContain('--token is empty');
    expect(results[5]!.stderr).toContain("token: Unknown option '--bogus' (npm run token -- --help for the usage)");
    expect((await runCli('revoke', ['--help'], env)).stdout).toContain('Usage: npm run revoke');
  });

  it('prints only the token from `npm run token`, so $(npm run token) captures it whole', async () => {
    const minted = await runCli('token', ['--sub', 'olivia', '--client', 'web'], env, { viaNpm: true });

    expect(minted.code, minted.stderr).toBe(0);
    expect(minted.stdout).toMatch(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+\n$/);
    expect((await call(`${stack.url}/x`, minted.stdout.trim())).status).toBe(201);
  });

  it('revokes a token read from standard input (`--token -`) without printing it anywhere', async () => {
    const token = await mint('sub=peggy&jti=stdin-token-1');

    const revoke = await runCli('revoke', ['--token', '-'], env, { viaNpm: true, input: `${token}\n` });

    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toContain('published 1 revocation in 1 message');
    expect(revoke.stdout + revoke.stderr).not.toContain(token);
    // npm echoes nothing, the token least of all.
    expect(revoke.stdout + revoke.stderr).not.toContain('tsx local/revoke.ts');
    expect(await deniedWithin(`${stack.url}/x`, token, SYNC_INTERVAL_MS + 1000)).toBeDefined();
  });

  it('revokes a token from the variable --token-env names, and a --file read from standard input', async () => {
    const fromEnv = await mint('sub=rupert&jti=env-token-1');
    const fromFile = await mint('sub=sybil&jti=stdin-file-1');

    const byEnv = await runCli('revoke', ['--token-env', 'REVOKE_ME'], { ...env, REVOKE_ME: fromEnv });
    const byFile = await runCli('revoke', ['--file', '-', '--quiet'], env, { input: `stdin-file-0\n${fromFile}\n` });

    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(byFile.code, byFile.stderr).toBe(0);
    expect(byFile.stdout + byFile.stderr).toBe('');
    expect(await deniedWithin(`${stack.url}/x`, fromEnv, SYNC_INTERVAL_MS + 1000)).toBeDefined();
    expect(await deniedWithin(`${stack.url}/x`, fromFile, SYNC_INTERVAL_MS + 1000)).toBeDefined();
  });
});

describe('npm start that cannot start, or loses its reader', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-stack-failing-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  /** Runs a shell command line in the repository, as a user's terminal or CI step would. */
  function shell(commandLine: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    return new Promise((done, fail) => {
      const child = spawn('bash', ['-o', 'pipefail', '-c', commandLine], { cwd: process.cwd(), env: childEnv(env) });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('error', fail);
      child.on('exit', (code) => done({ code, output }));
    });
  }

  it("exits non-zero through a pipe, listing the stack's and the functions' problems at once", async () => {
    const env = {
      PORT: String(await freePort()),
      DYNAMODB_PORT: String(await freePort()),
      DATA_DIR: dataDir,
      REVOCATION_SYNC_INTERVAL_MS: '1s',
      JWT_CLOCK_TOLERANCE_SECONDS: 'abc',
      REVOCATION_FAIL_MODE: 'maybe',
    };

    // pipefail: without it a pipeline's status is the last command's (cat's), whatever npm start did.
    const result = await shell('npm start 2>&1 | cat', env);

    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain('local stack not started');
    for (const variable of ['REVOCATION_SYNC_INTERVAL_MS', 'JWT_CLOCK_TOLERANCE_SECONDS', 'REVOCATION_FAIL_MODE']) {
      expect(result.output).toContain(`  - ${variable} must be`);
    }
  });

  it('stops cleanly, its data closed and its state file removed, when the reader of its output goes away', async () => {
    const env = { PORT: String(await freePort()), DYNAMODB_PORT: String(await freePort()), DATA_DIR: dataDir };

    // `head -1` exits after the first line; every later write of the stack's fails with EPIPE.
    const result = await shell('node --import tsx local/start.ts 2>/dev/null | head -1; echo "stack exit status ${PIPESTATUS[0]}"', env);

    expect(result.output).toContain('stack exit status 0');
    expect(existsSync(join(dataDir, 'local-stack.json'))).toBe(false);
  });
});
