import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readBody } from '../../local/gateway.js';
import type { InvocationResult } from '../../local/lambda-runtime.js';
import { SnsSubscription } from '../../local/sns-delivery.js';
import { createSnsEndpoint, INGEST_FAILURES_HEADER } from '../../local/sns-endpoint.js';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:revocations';

/** The ingest function's side: records each event, fails the first `failures` attempts of each message. */
const ingest = {
  arn: 'arn:aws:lambda:us-east-1:000000000000:function:revocation-ingest',
  events: [] as SNSEvent[],
  failuresPerMessage: 0,
  attempts: new Map<string, number>(),
  async invoke(event: unknown): Promise<InvocationResult> {
    const sns = event as SNSEvent;
    this.events.push(sns);
    const id = sns.Records[0]!.Sns.MessageId;
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, attempt);
    if (attempt <= this.failuresPerMessage) {
      return { ok: false, requestId: `req-${attempt}`, error: { errorType: 'InvalidMessageError', errorMessage: 'type: is required' } };
    }
    return { ok: true, requestId: `req-${attempt}`, result: null };
  },
};

let server: Server;
let client: SNSClient;
let dataDir: string;
let endpoint: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sns-endpoint-'));
  const subscription = new SnsSubscription({
    subscriber: ingest,
    deadLetterPath: join(dataDir, 'dead-letter.jsonl'),
    retryDelaysMs: [5, 10],
  });
  const sns = createSnsEndpoint({ region: 'us-east-1', deliver: (publication) => subscription.deliver(publication) });
  server = createServer(async (request, response) => sns(request, response, (await readBody(request, 1 << 20))!));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_local/sns`;
  client = new SNSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  server?.closeAllConnections();
  await new Promise((done) => server?.close(done));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});
afterEach(() => {
  ingest.events.length = 0;
  ingest.attempts.clear();
  ingest.failuresPerMessage = 0;
});

describe('SNS endpoint (AWS Query protocol), driven by @aws-sdk/client-sns', () => {
  it('answers Publish with a MessageId once the message was delivered as a one-record SNS event', async () => {
    const output = await client.send(
      new PublishCommand({
        TopicArn: TOPIC_ARN,
        Message: '{"type":"jti","jti":"a & <b>"}',
        MessageAttributes: { issuer: { DataType: 'String', StringValue: 'https://issuer.example.com/' } },
      }),
    );

    expect(output.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(ingest.events).toHaveLength(1);
    expect(ingest.events[0]!.Records).toEqual([
      expect.objectContaining({
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: expect.stringMatching(new RegExp(`^${TOPIC_ARN}:`)),
        Sns: expect.objectContaining({
          Type: 'Notification',
          MessageId: output.MessageId,
          TopicArn: TOPIC_ARN,
          Subject: null,
          Message: '{"type":"jti","jti":"a & <b>"}',
          MessageAttributes: { issuer: { Type: 'String', Value: 'https://issuer.example.com/' } },
        }),
      }),
    ]);
  });

  it('answers PublishBatch per entry: delivered entries in Successful, refused ones in Failed', async () => {
    const output = await client.send(
      new PublishBatchCommand({
        TopicArn: TOPIC_ARN,
        PublishBatchRequestEntries: [
          { Id: 'one', Message: 'first', Subject: 'revocation' },
          { Id: 'two', Message: '' },
          { Id: 'three', Message: 'third' },
        ],
      }),
    );

    expect(output.Successful).toEqual([
      { Id: 'one', MessageId: expect.any(String) },
      { Id: 'three', MessageId: expect.any(String) },
    ]);
    expect(output.Failed).toEqual([
      { Id: 'two', Code: 'InvalidParameter', Message: 'Invalid parameter: Empty message', SenderFault: true },
    ]);
    expect(ingest.events.map((event) => [event.Records[0]!.Sns.Message, event.Records[0]!.Sns.Subject])).toEqual([
      ['first', 'revocation'],
      ['third', null],
    ]);
  });

  it.each([
    [
      'an unknown topic',
      new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:other', Message: 'x' }),
      'NotFoundException',
      404,
    ],
    ['a malformed topic ARN', new PublishCommand({ TopicArn: 'revocations', Message: 'x' }), 'InvalidParameterException', 400],
    ['an empty message', new PublishCommand({ TopicArn: TOPIC_ARN, Message: '' }), 'InvalidParameterException', 400],
    ['an oversized message', new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'x'.repeat(262_145) }), 'InvalidParameterException', 400],
    ['an empty batch', new PublishBatchCommand({ TopicArn: TOPIC_ARN, PublishBatchRequestEntries: [] }), 'EmptyBatchRequestException', 400],
    [
      'eleven entries',
      new PublishBatchCommand({
        TopicArn: TOPIC_ARN,
        PublishBatchRequestEntries: Array.from({ length: 11 }, (_, index) => ({ Id: `e${index}`, Message: 'x' })),
      }),
      'TooManyEntriesInBatchRequestException',
      400,
    ],
    [
      'repeated entry ids',
      new PublishBatchCommand({
        TopicArn: TOPIC_ARN,
        PublishBatchRequestEntries: [
          { Id: 'a', Message: 'x' },
          { Id: 'a', Message: 'y' },
        ],
      }),
      'BatchEntryIdsNotDistinctException',
      400,
    ],
  ] as const)('refuses %s with the SDK error SNS would raise', async (_, command, name, status) => {
    const error = (await client.send(command as PublishCommand).catch((caught: unknown) => caught)) as {
      name: string;
      $metadata: { httpStatusCode: number };
    };

    expect(error.name).toBe(name);
    expect(error.$metadata.httpStatusCode).toBe(status);
    expect(ingest.events).toHaveLength(0);
  });

  it('answers an action it does not serve with an InvalidAction error document', async () => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=CreateTopic&Version=2010-03-31&Name=x',
    });

    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(
      /^<ErrorResponse xmlns="http:\/\/sns.amazonaws.com\/doc\/2010-03-31\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code>/,
    );
  });

  it('retries a failing delivery like Lambda (3 attempts) and acknowledges once one succeeds', async () => {
    ingest.failuresPerMessage = 2;

    const output = await client.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'flaky' }));

    expect(ingest.attempts.get(output.MessageId!)).toBe(3);
  });

  it('dead-letters a message that fails every attempt, as a Lambda on-failure record, and still acknowledges it', async () => {
    ingest.failuresPerMessage = 3;

    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ Action: 'Publish', Version: '2010-03-31', TopicArn: TOPIC_ARN, Message: 'poison' }).toString(),
    });
    const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(await response.text())![1]!;

    expect(response.status).toBe(200);
    expect(JSON.parse(decodeURIComponent(response.headers.get(INGEST_FAILURES_HEADER)!))).toEqual([
      { messageId, errorType: 'InvalidMessageError', errorMessage: 'type: is required' },
    ]);
    const records = (await readFile(join(dataDir, 'dead-letter.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.at(-1)).toEqual({
      version: '1.0',
      timestamp: expect.any(String),
      requestContext: {
        requestId: 'req-3',
        functionArn: `${ingest.arn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { Records: [expect.objectContaining({ Sns: expect.objectContaining({ MessageId: messageId, Message: 'poison' }) })] },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'InvalidMessageError', errorMessage: 'type: is required' },
    });
  });
});
