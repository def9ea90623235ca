import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePublishTarget, TargetError } from '../../local/publish-target.js';
import { stateFilePath, type StackState } from '../../local/stack-state.js';
import { freePort, runCli } from './support/stack-process.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'publish-target-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('resolvePublishTarget', () => {
  it('defaults to the local stack on port 3000, with the local topic of AWS_REGION', () => {
    expect(resolvePublishTarget({ DATA_DIR: dataDir })).toEqual({
      kind: 'local',
      endpoint: 'http://127.0.0.1:3000/_local/sns',
      topicArn: 'arn:aws:sns:us-east-1:000000000000:revocations',
      region: 'us-east-1',
      deadLetterPath: undefined,
      chosenBy: 'default',
    });
  });

  it('takes the port from PORT, and AWS_ENDPOINT_URL_SNS over both', () => {
    expect(resolvePublishTarget({ PORT: '4100', DATA_DIR: dataDir })).toMatchObject({
      endpoint: 'http://127.0.0.1:4100/_local/sns',
      chosenBy: 'PORT',
    });
    expect(resolvePublishTarget({ PORT: '4100', AWS_ENDPOINT_URL_SNS: 'http://sns.internal:9911', DATA_DIR: dataDir })).toMatchObject({
      kind: 'local',
      endpoint: 'http://sns.internal:9911',
      chosenBy: 'AWS_ENDPOINT_URL_SNS',
    });
  });

  it('finds a running stack through the state file in DATA_DIR when PORT is not set', async () => {
    const state: StackState = {
      pid: process.pid,
      gatewayUrl: 'http://localhost:4200',
      snsEndpoint: 'http://127.0.0.1:4200/_local/sns',
      topicArn: 'arn:aws:sns:eu-west-1:000000000000:revocations',
      region: 'eu-west-1',
      dynamodbEndpoint: 'http://127.0.0.1:4201',
      deadLetterPath: join(dataDir, 'dead-letter.jsonl'),
      startedAt: new Date().toISOString(),
    };
    await writeFile(stateFilePath(dataDir), JSON.stringify(state));

    const target = resolvePublishTarget({ DATA_DIR: dataDir });
    await rm(stateFilePath(dataDir));

    expect(target).toEqual({
      kind: 'local',
      endpoint: state.snsEndpoint,
      topicArn: state.topicArn,
      region: 'eu-west-1',
      deadLetterPath: state.deadLetterPath,
      chosenBy: 'state file',
    });
  });

  it('publishes to REVOCATION_TOPIC_ARN on AWS, in the region of the ARN', () => {
    expect(
      resolvePublishTarget({ REVOCATION_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:revocations', AWS_REGION: 'us-east-1' }),
    ).toEqual({
      kind: 'aws',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:revocations',
      region: 'eu-west-1',
      endpoint: undefined,
    });
  });

  it('throws when REVOCATION_TOPIC_ARN is not a topic ARN, naming the variable', () => {
    expect(() => resolvePublishTarget({ REVOCATION_TOPIC_ARN: 'revocations' })).toThrow(TargetError);
    expect(() => resolvePublishTarget({ REVOCATION_TOPIC_ARN: 'revocations' })).toThrow('REVOCATION_TOPIC_ARN must be an SNS topic ARN');
  });
});

describe('npm run revoke with nothing answering at its target', () => {
  it.each([
    [
      'AWS_ENDPOINT_URL_SNS',
      (port: number) => ({ AWS_ENDPOINT_URL_SNS: `http://127.0.0.1:${port}/_local/sns` }),
      'unset AWS_ENDPOINT_URL_SNS',
    ],
    ['PORT', (port: number) => ({ PORT: String(port) }), `running with PORT=`],
  ])('blames the setting that chose the endpoint: %s', async (chosenBy, env, hint) => {
    const port = await freePort();
    // An empty DATA_DIR, so no state file. (The default, port 3000, may belong to another stack.)
    const result = await runCli('revoke', ['--jti', 'a'], { DATA_DIR: dataDir, ...env(port) });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nothing answers at');
    expect(result.stderr).toContain(hint);
    expect(result.stderr, chosenBy).not.toContain('Set PORT if it is not on 3000');
  });

  it('lists every configuration problem at once, on their own lines, and publishes nothing', async () => {
    const result = await runCli('revoke', ['--jti', 'a'], { DATA_DIR: dataDir, PORT: 'x', JWT_CLOCK_TOLERANCE_SECONDS: 'abc' });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('  - JWT_CLOCK_TOLERANCE_SECONDS must be a whole number of seconds');
    expect(result.stderr).toContain(`  - PORT must be the local stack's port, got "x"`);
  });
});

describe('npm run revoke against AWS (REVOCATION_TOPIC_ARN)', () => {
  it('signs for the topic region with the SDK default credentials and honours AWS_ENDPOINT_URL_SNS', async () => {
    // Prepare: a stand-in for sns.eu-west-1.amazonaws.com.
    const seen: { headers?: IncomingHttpHeaders; body?: string } = {};
    const sns = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        Object.assign(seen, { headers: request.headers, body });
        response
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(
            '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>aws-message-1</MessageId></PublishResult>' +
              '<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>',
          );
      });
    });
    await new Promise<void>((done) => sns.listen(0, '127.0.0.1', done));
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:revocations';

    // Act
    const result = await runCli('revoke', ['--sub', 'alice', '--at', '1767225600000'], {
      REVOCATION_TOPIC_ARN: topicArn,
      AWS_ENDPOINT_URL_SNS: `http://127.0.0.1:${(sns.address() as AddressInfo).port}`,
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_REGION: 'us-east-1',
    });
    sns.closeAllConnections();
    await new Promise((done) => sns.close(done));

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`to ${topicArn} as message aws-message-1: the ingest function applies it asynchronously`);
    expect(seen.headers?.authorization).toMatch(/Credential=AKIAEXAMPLE\/\d{8}\/eu-west-1\/sns\/aws4_request/);
    const form = new URLSearchParams(seen.body);
    expect(form.get('Action')).toBe('Publish');
    expect(form.get('TopicArn')).toBe(topicArn);
    expect(JSON.parse(form.get('Message')!)).toEqual({ version: 1, type: 'subject', sub: 'alice', revokedAt: 1767225600000 });
  });
});
