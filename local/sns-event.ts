import { randomBytes, randomUUID } from 'node:crypto';
import type { SNSEvent, SNSEventRecord, SNSMessageAttributes } from 'aws-lambda';

/** One message as a publisher hands it to SNS Publish. */
export interface SnsPublication {
  /** The message body, verbatim (SNS never parses it). */
  readonly message: string;
  /** String attributes by name, or a full `{ Type, Value }` for Number, Binary or String.Array. */
  readonly attributes?: Readonly<Record<string, string | { readonly Type: string; readonly Value: string }>>;
  readonly subject?: string;
  readonly messageId?: string;
  readonly topicArn?: string;
  readonly timestamp?: Date;
}

export const TEST_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:revocations';

/**
 * An SNS-triggered Lambda event exactly as AWS delivers it: one record per message, `Subject`
 * null when none was given, attributes as `{ Type, Value }` strings, and the signature fields
 * present (Lambda does not ask the function to verify them). The local stack uses this too.
 */
export function snsEvent(...publications: (SnsPublication | string)[]): SNSEvent {
  return {
    Records: publications.map((publication) => snsRecord(typeof publication === 'string' ? { message: publication } : publication)),
  };
}

export function snsRecord(publication: SnsPublication): SNSEventRecord {
  const topicArn = publication.topicArn ?? TEST_TOPIC_ARN;
  const region = topicArn.split(':')[3] ?? 'us-east-1';
  const subscriptionArn = `${topicArn}:${randomUUID()}`;
  const attributes: SNSMessageAttributes = {};
  for (const [name, value] of Object.entries(publication.attributes ?? {})) {
    attributes[name] = typeof value === 'string' ? { Type: 'String', Value: value } : { Type: value.Type, Value: value.Value };
  }
  return {
    EventSource: 'aws:sns',
    EventVersion: '1.0',
    EventSubscriptionArn: subscriptionArn,
    Sns: {
      Type: 'Notification',
      MessageId: publication.messageId ?? randomUUID(),
      TopicArn: topicArn,
      // AWS sends null, not an absent field, for a message published without a subject.
      Subject: (publication.subject ?? null) as unknown as string,
      Message: publication.message,
      Timestamp: (publication.timestamp ?? new Date()).toISOString(),
      SignatureVersion: '1',
      Signature: randomBytes(256).toString('base64'),
      SigningCertUrl: `https://sns.${region}.amazonaws.com/SimpleNotificationService-${randomBytes(16).toString('hex')}.pem`,
      UnsubscribeUrl: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
      MessageAttributes: attributes,
    },
  };
}
