import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOCAL_ACCOUNT_ID } from './lambda-runtime.js';
import type { DeliveryOutcome, Publication } from './sns-delivery.js';

/**
 * The SNS Query API (protocol `awsQuery`, API version 2010-03-31), the part a revocation
 * publisher uses: Publish and PublishBatch. @aws-sdk/client-sns speaks this protocol (its
 * runtime config sets AwsQueryProtocol): a form-encoded POST with `Action=…&Version=…`, answered
 * with XML, errors as `<ErrorResponse><Error><Type/><Code/><Message/></Error></ErrorResponse>`.
 * Signatures are not checked; any credentials do.
 */

/** The one topic of the local stack. */
export const LOCAL_TOPIC_NAME = 'revocations';

export function localTopicArn(region: string): string {
  return `arn:aws:sns:${region}:${LOCAL_ACCOUNT_ID}:${LOCAL_TOPIC_NAME}`;
}

/**
 * Response header listing the messages the local ingest rejected even after its retries (they are
 * in the dead-letter file): URI-encoded JSON `[{ id?, messageId, errorType, errorMessage }]`.
 * Not part of SNS; the revoke CLI reads it to tell the user at once.
 */
export const INGEST_FAILURES_HEADER = 'x-local-ingest-failures';

/** One entry of the {@link INGEST_FAILURES_HEADER} list. */
export interface IngestFailure {
  /** The PublishBatch entry id; absent for a Publish. */
  readonly id?: string;
  readonly messageId: string;
  readonly errorType: string;
  readonly errorMessage: string;
}

/**
 * Response header, not part of SNS: how long after this answer the revocations it acknowledged
 * are enforced by the gateway's authorizer (its sync interval: the write is already done). The
 * revoke CLI waits that long before it returns, so a request made after it returns is refused.
 */
export const ENFORCED_WITHIN_HEADER = 'x-local-enforced-within-ms';

const XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** SNS's limit for a message with its attributes, and for a whole PublishBatch. */
export const MAX_PAYLOAD_BYTES = 262_144;
/** SNS's limit of entries in one PublishBatch. */
export const MAX_BATCH_ENTRIES = 10;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const ATTRIBUTE_NAME = /^(?!\.)(?!aws\.|amazon\.)(?!.*\.\.)[A-Za-z0-9_.-]{1,256}(?<!\.)$/i;

export interface SnsEndpointOptions {
  readonly region: string;
  /** Hands an accepted message to the topic's subscription; resolves once it is handled or dead-lettered. */
  readonly deliver: (publication: Publication) => Promise<DeliveryOutcome>;
  /** Sent as {@link ENFORCED_WITHIN_HEADER} with every answer to a Publish or PublishBatch. */
  readonly enforcedWithinMs?: number;
}

/** An SNS error in the Query protocol's terms. */
export class SnsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = new.target.name;
  }
}

interface PublishInput {
  readonly message: string;
  readonly subject: string | undefined;
  readonly attributes: Publication['attributes'];
}

/** The request handler for the SNS endpoint: POST (or GET) with Query parameters. */
export function createSnsEndpoint(options: SnsEndpointOptions) {
  return async function handleSns(request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<void> {
    const requestId = randomUUID();
    try {
      const params = new URLSearchParams((request.url ?? '').split('?')[1] ?? '');
      if (request.method === 'POST') for (const [name, value] of new URLSearchParams(body.toString('utf8'))) params.append(name, value);
      const action = params.get('Action');
      if (action === 'Publish') await publish(params, requestId, response);
      else if (action === 'PublishBatch') await publishBatch(params, requestId, response);
      else if (action === null) throw new SnsError('MissingAction', 'The request must contain the parameter Action.');
      else
        throw new SnsError(
          'InvalidAction',
          `The action ${action} is not valid for this web service (the local stack serves Publish and PublishBatch).`,
        );
    } catch (error) {
      const snsError = error instanceof SnsError ? error : new SnsError('InternalError', 'Internal Error', 500, 'Receiver');
      sendXml(
        response,
        snsError.statusCode,
        requestId,
        `<ErrorResponse xmlns="${XML_NAMESPACE}"><Error><Type>${snsError.type}</Type><Code>${xml(snsError.code)}</Code>` +
          `<Message>${xml(snsError.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    }
  };

  async function publish(params: URLSearchParams, requestId: string, response: ServerResponse): Promise<void> {
    const topicArn = readTopicArn(params.get('TopicArn') ?? params.get('TargetArn'), params.get('PhoneNumber'));
    const input = readPublishInput(params, '');
    const messageId = randomUUID();
    const outcome = await options.deliver({ messageId, topicArn, ...input });
    const failures: IngestFailure[] = outcome.delivered ? [] : [{ messageId, ...outcome.error }];
    sendXml(
      response,
      200,
      requestId,
      `<PublishResponse xmlns="${XML_NAMESPACE}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
      failures,
      options.enforcedWithinMs,
    );
  }

  async function publishBatch(params: URLSearchParams, requestId: string, response: ServerResponse): Promise<void> {
    const topicArn = readTopicArn(params.get('TopicArn'), null);
    const prefix = 'PublishBatchRequestEntries.member.';
    const ids: string[] = [];
    for (let index = 1; params.has(`${prefix}${index}.Id`) || params.has(`${prefix}${index}.Message`); index++) {
      ids.push(params.get(`${prefix}${index}.Id`) ?? '');
    }
    if (ids.length === 0) throw new SnsError('EmptyBatchRequest', "The batch request doesn't contain any entries.");
    if (ids.length > MAX_BATCH_ENTRIES) {
      throw new SnsError(
        'TooManyEntriesInBatchRequest',
        `The batch request contains more entries than permissible (${MAX_BATCH_ENTRIES}).`,
      );
    }
    for (const id of ids) {
      if (!BATCH_ENTRY_ID.test(id)) {
        throw new SnsError(
          'InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
        );
      }
    }
    if (new Set(ids).size !== ids.length)
      throw new SnsError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
    let totalBytes = 0;
    for (let index = 1; index <= ids.length; index++) totalBytes += Buffer.byteLength(params.get(`${prefix}${index}.Message`) ?? '');
    if (totalBytes > MAX_PAYLOAD_BYTES) {
      throw new SnsError(
        'BatchRequestTooLong',
        `The length of all the messages put together is more than the limit (${MAX_PAYLOAD_BYTES} bytes).`,
      );
    }

    const successful: string[] = [];
    const failed: string[] = [];
    const failures: IngestFailure[] = [];
    // In order, one at a time: an entry's revocation is written before the next one's.
    for (const [offset, id] of ids.entries()) {
      let input: PublishInput;
      try {
        input = readPublishInput(params, `${prefix}${offset + 1}.`);
      } catch (error) {
        if (!(error instanceof SnsError)) throw error;
        failed.push(
          `<member><Id>${xml(id)}</Id><Code>${xml(error.code)}</Code><Message>${xml(error.message)}</Message><SenderFault>true</SenderFault></member>`,
        );
        continue;
      }
      const messageId = randomUUID();
      const outcome = await options.deliver({ messageId, topicArn, ...input });
      if (!outcome.delivered) failures.push({ id, messageId, ...outcome.error });
      successful.push(`<member><Id>${xml(id)}</Id><MessageId>${messageId}</MessageId></member>`);
    }
    sendXml(
      response,
      200,
      requestId,
      `<PublishBatchResponse xmlns="${XML_NAMESPACE}"><PublishBatchResult>` +
        `<Successful>${successful.join('')}</Successful><Failed>${failed.join('')}</Failed>` +
        `</PublishBatchResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishBatchResponse>`,
      failures,
      options.enforcedWithinMs,
    );
  }

  function readTopicArn(arn: string | null, phoneNumber: string | null): string {
    if (phoneNumber !== null)
      throw new SnsError('InvalidParameter', 'Invalid parameter: PhoneNumber (the local stack has no SMS; publish to its topic)');
    if (arn === null || arn === '')
      throw new SnsError('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    const parts = arn.split(':');
    if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sns' || parts[3] === '' || parts[5] === '') {
      throw new SnsError('InvalidParameter', `Invalid parameter: TopicArn Reason: ${arn} is not a valid ARN`);
    }
    // Any region is accepted: the CLI builds the ARN from its own AWS_REGION.
    if (parts[4] !== LOCAL_ACCOUNT_ID || parts[5] !== LOCAL_TOPIC_NAME) {
      throw new SnsError('NotFound', `Topic does not exist (the local stack's topic is ${localTopicArn(options.region)})`, 404);
    }
    return arn;
  }
}

function readPublishInput(params: URLSearchParams, prefix: string): PublishInput {
  let message = params.get(`${prefix}Message`);
  if (message === null) throw new SnsError('InvalidParameter', 'Invalid parameter: Message Reason: no value for required parameter');
  if (message === '') throw new SnsError('InvalidParameter', 'Invalid parameter: Empty message');
  const subject = params.get(`${prefix}Subject`) ?? undefined;
  if (subject !== undefined && (subject === '' || subject.length > 100 || /[\u0000-\u001f]/.test(subject))) {
    throw new SnsError('InvalidParameter', 'Invalid parameter: Subject');
  }
  const attributes = readAttributes(params, `${prefix}MessageAttributes.entry.`);
  let bytes = Buffer.byteLength(message);
  for (const [name, { Type, Value }] of Object.entries(attributes))
    bytes += Buffer.byteLength(name) + Buffer.byteLength(Type) + Buffer.byteLength(Value);
  if (bytes > MAX_PAYLOAD_BYTES) throw new SnsError('InvalidParameter', 'Invalid parameter: Message too long');
  if (params.get(`${prefix}MessageStructure`) === 'json') message = lambdaMessage(message);
  return { message, subject, attributes };
}

/** MessageStructure=json: one message per protocol; a Lambda subscription gets `lambda`, else `default`. */
function lambdaMessage(structured: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(structured);
  } catch {
    throw new SnsError('InvalidParameter', 'Invalid parameter: Message Structure - JSON message body failed to parse');
  }
  const messages = parsed as Record<string, unknown>;
  if (typeof parsed !== 'object' || parsed === null || typeof messages.default !== 'string') {
    throw new SnsError('InvalidParameter', 'Invalid parameter: Message Structure - No default entry in JSON message body');
  }
  return typeof messages.lambda === 'string' ? messages.lambda : messages.default;
}

function readAttributes(params: URLSearchParams, prefix: string): Record<string, { Type: string; Value: string }> {
  const attributes: Record<string, { Type: string; Value: string }> = {};
  for (let index = 1; params.has(`${prefix}${index}.Name`); index++) {
    const name = params.get(`${prefix}${index}.Name`)!;
    const type = params.get(`${prefix}${index}.Value.DataType`);
    const string = params.get(`${prefix}${index}.Value.StringValue`);
    const binary = params.get(`${prefix}${index}.Value.BinaryValue`);
    if (!ATTRIBUTE_NAME.test(name)) throw new SnsError('InvalidParameterValue', `The message attribute name '${name}' is invalid.`);
    if (type === null || !/^(String|Number|Binary)(\..+)?$/.test(type)) {
      throw new SnsError(
        'InvalidParameterValue',
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const value = type.startsWith('Binary') ? binary : string;
    if (value === null || value === '') {
      throw new SnsError(
        'InvalidParameterValue',
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
      );
    }
    attributes[name] = { Type: type, Value: value };
  }
  return attributes;
}

function sendXml(
  response: ServerResponse,
  statusCode: number,
  requestId: string,
  body: string,
  failures: IngestFailure[] = [],
  enforcedWithinMs?: number,
): void {
  const headers: Record<string, string | number> = {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  };
  if (enforcedWithinMs !== undefined) headers[ENFORCED_WITHIN_HEADER] = enforcedWithinMs;
  // Kept short: a client refuses a response whose headers exceed 16 KiB.
  const brief = failures.map((failure) => ({ ...failure, errorMessage: failure.errorMessage.slice(0, 300) }));
  if (failures.length > 0) headers[INGEST_FAILURES_HEADER] = encodeURIComponent(JSON.stringify(brief));
  response.writeHead(statusCode, headers);
  response.end(body);
}

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
