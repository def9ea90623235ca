import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { snsEvent } from './sns-event.js';
import type { FunctionError, InvocationResult } from './lambda-runtime.js';

/** One accepted message, as SNS hands it to its subscriptions. */
export interface Publication {
  readonly messageId: string;
  readonly topicArn: string;
  readonly message: string;
  readonly subject: string | undefined;
  /** `{ Type, Value }` per attribute, Binary values base64: the shape of the Lambda event. */
  readonly attributes: Readonly<Record<string, { readonly Type: string; readonly Value: string }>>;
}

/** What happened to a message: handled (after some attempts), or given up on and dead-lettered. */
export type DeliveryOutcome =
  | { readonly delivered: true; readonly attempts: number }
  | { readonly delivered: false; readonly attempts: number; readonly error: FunctionError };

/** The function side of a subscription: anything that invokes a handler and reports its outcome. */
export interface Subscriber {
  readonly arn: string;
  invoke(event: unknown): Promise<InvocationResult>;
}

export interface SubscriptionOptions {
  readonly subscriber: Subscriber;
  /** JSON Lines file receiving what still fails after the last attempt. */
  readonly deadLetterPath: string;
  /** Waits before the 2nd, 3rd… attempt. Lambda retries an asynchronous invocation twice. @default [100, 500] */
  readonly retryDelaysMs?: readonly number[];
  readonly log?: (line: string) => void;
}

/**
 * An SNS → Lambda subscription: each message becomes one SNS event with one record, delivered
 * like Lambda's asynchronous invocation (3 attempts) and, when every attempt failed, written to a
 * dead-letter file as a Lambda on-failure destination record (`condition: RetriesExhausted`).
 *
 * Unlike AWS, `deliver` resolves only once the message is handled or dead-lettered, so a Publish
 * that was answered is already in the table (or in the dead-letter file). On AWS the retries
 * wait about 1 and 2 minutes; here 0.1 and 0.5 s.
 */
export class SnsSubscription {
  private readonly retryDelaysMs: readonly number[];
  private appending: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SubscriptionOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? [100, 500];
  }

  async deliver(publication: Publication): Promise<DeliveryOutcome> {
    const event = snsEvent({
      message: publication.message,
      messageId: publication.messageId,
      topicArn: publication.topicArn,
      attributes: publication.attributes,
      ...(publication.subject === undefined ? {} : { subject: publication.subject }),
    });
    let last: InvocationResult | undefined;
    for (let attempt = 1; attempt <= this.retryDelaysMs.length + 1; attempt++) {
      if (attempt > 1) await sleep(this.retryDelaysMs[attempt - 2]!);
      last = await this.options.subscriber.invoke(event);
      if (last.ok) return { delivered: true, attempts: attempt };
    }
    const failed = last as Extract<InvocationResult, { ok: false }>;
    const attempts = this.retryDelaysMs.length + 1;
    await this.deadLetter({
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: failed.requestId,
        functionArn: `${this.options.subscriber.arn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: failed.error,
    });
    this.options.log?.(
      `SNS message ${publication.messageId} failed ${attempts} times (${failed.error.errorType}: ${failed.error.errorMessage}); dead-lettered to ${this.options.deadLetterPath}`,
    );
    return { delivered: false, attempts, error: failed.error };
  }

  /** Appends one line and syncs it to disk before the Publish is answered. */
  private deadLetter(record: unknown): Promise<void> {
    const append = this.appending.then(async () => {
      await mkdir(dirname(this.options.deadLetterPath), { recursive: true });
      const file = await open(this.options.deadLetterPath, 'a', 0o600);
      try {
        await file.appendFile(`${JSON.stringify(record)}\n`);
        await file.datasync();
      } finally {
        await file.close();
      }
    });
    this.appending = append.catch(() => {});
    return append;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
