import type { SNSEvent, SNSMessageAttributes } from 'aws-lambda';
import type { IngestConfig } from './config/index.js';
import { coalesceRevocations, readRevocationMessage, type MessageAttributes, type NotApplicable } from './messages/index.js';
import type { ApplyResult, Revocation, RevocationWriter } from './revocation/index.js';
import { describeError, errorCode, InvalidMessageError, type InvalidMessageReason, type Log } from './shared/index.js';

/** Counts for metrics; see ingest-metrics.ts. */
export interface IngestRecorder {
  rejected(reason: InvalidMessageReason): void;
  /** Messages accepted with nothing to write (WSO2 `Default` events), counted once the invocation succeeded. */
  notApplicable(count: number): void;
  written(result: ApplyResult): void;
}

export interface IngestDependencies {
  readonly store: RevocationWriter;
  readonly config: IngestConfig;
  readonly log: Log;
  readonly metrics?: IngestRecorder;
  readonly now?: () => number;
}

/** What one invocation did; Lambda ignores it, the local stack and tests read it. */
export interface IngestSummary {
  readonly messages: number;
  /** Messages accepted with nothing a JWT can match (WSO2 `Default` events): logged and counted, not refused. */
  readonly notApplicable: number;
  readonly revocations: number;
  readonly applied: ApplyResult['applied'];
  readonly unchanged: ApplyResult['unchanged'];
}

export type IngestHandler = (event: SNSEvent) => Promise<IngestSummary>;

/** The SNS message attributes read, each a `String` attribute; others are ignored. */
export const READ_ATTRIBUTES = ['issuer', 'format'] as const;

/**
 * SNS event → messages → store. Every record is parsed and validated (the table's rules included)
 * before anything is written, so a bad message (or a bad entry of a batch) leaves the table
 * untouched, and the error names the entry's place in its own message. A refused message or a
 * failed write throws: Lambda retries the invocation, then hands it to the on-failure destination
 * or dead-letter queue. Writes are idempotent and monotonic, so a retried batch converges.
 */
export function createIngestHandler(deps: IngestDependencies): IngestHandler {
  const now = deps.now ?? Date.now;
  const rules = {
    clockToleranceSeconds: deps.config.clockToleranceSeconds,
    maxTokenLifetimeSeconds: deps.config.maxTokenLifetimeSeconds,
  };

  return async function handler(event: SNSEvent): Promise<IngestSummary> {
    const startedMs = performance.now();
    const nowMs = now();
    const records = readRecords(event, deps);
    const parsed: Revocation[] = [];
    const notApplicable: { record: SnsRecordView; why: NotApplicable }[] = [];
    for (const record of records) {
      try {
        const publishedAt = record.publishedAtMs === undefined ? {} : { publishedAtMs: record.publishedAtMs };
        const read = readRevocationMessage(record.message, readAttributes(record.attributes), { ...rules, nowMs, ...publishedAt });
        parsed.push(...read.revocations);
        if (read.notApplicable !== undefined) notApplicable.push({ record, why: read.notApplicable });
      } catch (error) {
        if (error instanceof InvalidMessageError) report(error, deps, record);
        throw error;
      }
    }
    const revocations = coalesceRevocations(parsed);
    const messageIds = records.map((record) => record.messageId);
    let result: ApplyResult;
    try {
      result = await deps.store.applyRevocations(revocations, { concurrency: deps.config.writeConcurrency });
    } catch (error) {
      deps.log.error('revocation write failed; failing the invocation so Lambda retries it', {
        code: errorCode(error),
        error: describeError(error),
        messageIds,
        revocations: revocations.length,
      });
      throw error;
    }
    // Routine on a WSO2 topic (every opaque token's revocation): acknowledged, never dead-lettered,
    // so they cannot page anyone; the log line names the event, never its revokedToken.
    for (const { record, why } of notApplicable) {
      deps.log.info(`revocation message not applicable: ${why.detail}`, {
        type: why.type,
        path: why.path,
        eventId: why.eventId,
        messageId: record.messageId,
        topicArn: record.topicArn,
      });
    }
    if (notApplicable.length > 0) deps.metrics?.notApplicable(notApplicable.length);
    deps.metrics?.written(result);
    deps.log.info('revocations written', {
      messageIds,
      revocations: revocations.length,
      notApplicable: notApplicable.length,
      applied: result.applied,
      unchanged: result.unchanged,
      latencyMs: Math.round(performance.now() - startedMs),
    });
    return { messages: records.length, notApplicable: notApplicable.length, revocations: revocations.length, ...result };
  };
}

interface SnsRecordView {
  readonly messageId: string | undefined;
  readonly topicArn: string | undefined;
  readonly message: string;
  readonly attributes: SNSMessageAttributes | undefined;
  /** When SNS accepted the message; the same on every redelivery. */
  readonly publishedAtMs: number | undefined;
}

/** Checks the event is what SNS delivers; anything else (a test invoke with garbage) is refused the same way. */
function readRecords(event: SNSEvent, deps: IngestDependencies): SnsRecordView[] {
  const records: unknown = (event as { Records?: unknown } | null | undefined)?.Records;
  if (!Array.isArray(records) || records.length === 0) {
    const error = new InvalidMessageError('event is not an SNS event: no Records', undefined, 'unknown_format');
    report(error, deps, undefined);
    throw error;
  }
  return (records as unknown[]).map((record, index) => {
    const sns = (record as { EventSource?: unknown; Sns?: Record<string, unknown> } | null)?.Sns;
    const source = (record as { EventSource?: unknown } | null)?.EventSource;
    // SNS always names itself; a hand-built record may leave EventSource out, but not name another.
    const fromSns = source === undefined || source === 'aws:sns';
    if (!fromSns || typeof sns !== 'object' || sns === null || typeof sns.Message !== 'string') {
      const error = new InvalidMessageError('is not an SNS record with a Message', `Records[${index}]`, 'unknown_format');
      report(error, deps, undefined);
      throw error;
    }
    return {
      messageId: typeof sns.MessageId === 'string' ? sns.MessageId : undefined,
      topicArn: typeof sns.TopicArn === 'string' ? sns.TopicArn : undefined,
      message: sns.Message as string,
      attributes: sns.MessageAttributes as SNSMessageAttributes | undefined,
      publishedAtMs: publishedAtMs(sns.Timestamp),
    };
  });
}

/** SNS's `Timestamp` (ISO 8601, UTC) in epoch ms, or undefined when it is missing or not a date. */
function publishedAtMs(timestamp: unknown): number | undefined {
  if (typeof timestamp !== 'string') return undefined;
  const ms = Date.parse(timestamp);
  return Number.isFinite(ms) ? ms : undefined;
}

function readAttributes(attributes: SNSMessageAttributes | undefined): MessageAttributes {
  const read: Record<string, string> = {};
  for (const name of READ_ATTRIBUTES) {
    const attribute = attributes?.[name];
    if (attribute === undefined || attribute === null) continue;
    if (attribute.Type !== 'String' || typeof attribute.Value !== 'string') {
      throw new InvalidMessageError(
        `must be a String attribute, got ${String(attribute.Type)}`,
        `MessageAttributes.${name}`,
        'invalid_field',
      );
    }
    read[name] = attribute.Value;
  }
  return read;
}

/** One structured line per refused message (never the message body) and a metric; the caller throws. */
function report(error: InvalidMessageError, deps: IngestDependencies, record: SnsRecordView | undefined): void {
  deps.log.error(`revocation message rejected: ${error.message}`, {
    code: error.code,
    reason: error.reason,
    path: error.path,
    messageId: record?.messageId,
    topicArn: record?.topicArn,
  });
  deps.metrics?.rejected(error.reason);
}
