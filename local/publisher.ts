import { PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { PublishTarget } from './publish-target.js';
import type { OutgoingMessage } from './revocation-messages.js';
import {
  ENFORCED_WITHIN_HEADER,
  INGEST_FAILURES_HEADER,
  MAX_BATCH_ENTRIES,
  MAX_PAYLOAD_BYTES,
  type IngestFailure,
} from './sns-endpoint.js';

/** What became of one message. */
export type PublishOutcome =
  | { readonly ok: true; readonly messageId: string; readonly message: OutgoingMessage }
  /** Refused by SNS, or (local stack only) accepted but rejected by the ingest and dead-lettered. */
  | { readonly ok: false; readonly messageId: string | undefined; readonly message: OutgoingMessage; readonly error: string };

/** Publishes revocation messages with @aws-sdk/client-sns, one at a time or in PublishBatch calls. */
export class RevocationPublisher {
  private readonly client: SNSClient;
  /**
   * The local stack only: how long after its last answer what was published is enforced by the
   * gateway (its sync interval). Undefined for SNS on AWS, which applies messages asynchronously.
   */
  enforcedWithinMs: number | undefined;

  constructor(readonly target: PublishTarget) {
    this.client =
      target.kind === 'local'
        ? new SNSClient({
            region: target.region,
            endpoint: target.endpoint,
            // The local endpoint checks no signature; dummy keys spare the SDK a credential search.
            credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
            maxAttempts: 2,
          })
        : new SNSClient({ region: target.region });
    // The local stack reports messages its ingest rejected in a response header (see sns-endpoint.ts).
    this.client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const headers = (result.response as { headers?: Record<string, string | undefined> }).headers;
        const enforcedWithin = Number(headers?.[ENFORCED_WITHIN_HEADER]);
        if (Number.isSafeInteger(enforcedWithin) && enforcedWithin >= 0) this.enforcedWithinMs = enforcedWithin;
        const header = headers?.[INGEST_FAILURES_HEADER];
        if (header !== undefined) {
          Object.assign(result.output as object, { ingestFailures: JSON.parse(decodeURIComponent(header)) as IngestFailure[] });
        }
        return result;
      },
      { step: 'initialize', name: 'localIngestFailures' },
    );
  }

  async publish(message: OutgoingMessage): Promise<PublishOutcome> {
    const output = await this.client.send(new PublishCommand({ TopicArn: this.target.topicArn, Message: message.body }));
    const failure = ingestFailures(output)[0];
    if (failure !== undefined) return { ok: false, messageId: failure.messageId, message, error: describeIngestFailure(failure) };
    return { ok: true, messageId: output.MessageId ?? '', message };
  }

  /** Up to 10 messages in one PublishBatch call; per-message outcomes in the same order. */
  async publishBatch(messages: readonly OutgoingMessage[]): Promise<PublishOutcome[]> {
    const output = await this.client.send(
      new PublishBatchCommand({
        TopicArn: this.target.topicArn,
        PublishBatchRequestEntries: messages.map((message, index) => ({ Id: String(index), Message: message.body })),
      }),
    );
    const failures = new Map(ingestFailures(output).map((failure) => [failure.id, failure]));
    return messages.map((message, index): PublishOutcome => {
      const id = String(index);
      const refused = output.Failed?.find((entry) => entry.Id === id);
      if (refused) return { ok: false, messageId: undefined, message, error: `SNS refused it: ${refused.Code}: ${refused.Message ?? ''}` };
      const failure = failures.get(id);
      if (failure) return { ok: false, messageId: failure.messageId, message, error: describeIngestFailure(failure) };
      const accepted = output.Successful?.find((entry) => entry.Id === id);
      if (!accepted) return { ok: false, messageId: undefined, message, error: 'SNS did not report this entry' };
      return { ok: true, messageId: accepted.MessageId ?? '', message };
    });
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** Messages grouped for PublishBatch: at most 10 per call and 256 KB in all. */
export function batchesOf(messages: readonly OutgoingMessage[]): OutgoingMessage[][] {
  const batches: OutgoingMessage[][] = [];
  let batch: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body);
    if (batch.length === MAX_BATCH_ENTRIES || (batch.length > 0 && bytes + size > MAX_PAYLOAD_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(message);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function ingestFailures(output: object): IngestFailure[] {
  return (output as { ingestFailures?: IngestFailure[] }).ingestFailures ?? [];
}

function describeIngestFailure(failure: IngestFailure): string {
  return `the local ingest rejected it after its retries: ${failure.errorType}: ${failure.errorMessage}`;
}
