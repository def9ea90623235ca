import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { PublishFailedError } from './errors.js';

/** Where the receiver sends its revocation messages: the revocation topic, in the end. */
export interface RevocationPublisher {
  /** Resolves once the message is accepted (SNS's MessageId); rejects with PublishFailedError otherwise. */
  publish(body: string): Promise<string>;
}

/**
 * Publishes to the revocation SNS topic (REVOCATION_TOPIC_ARN). The client comes from the standard
 * SDK environment, so AWS_ENDPOINT_URL_SNS points it at the local stack's endpoint. A receiver
 * answers its sender only after this resolved: a failed publish is a 5xx, and the sender retries.
 */
export class SnsRevocationPublisher implements RevocationPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(body: string): Promise<string> {
    try {
      const result = await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Message: body }));
      return result.MessageId ?? '';
    } catch (error) {
      throw new PublishFailedError(`publishing to ${this.topicArn} failed`, { cause: error });
    }
  }
}
