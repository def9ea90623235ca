/**
 * `npm run revoke -- ARGS`: publishes revocations to the local stack's SNS endpoint, or to
 * REVOCATION_TOPIC_ARN on AWS. See USAGE in revoke-args.ts. Exit status: 0 published (on the
 * local stack: written to the table and enforced by the gateway), 1 failed, 2 usage error.
 */
import './quiet-node-warning.js';
import { readFile } from 'node:fs/promises';
import { loadIngestConfig } from '../lambda/config/index.js';
import { ConfigurationError, describeError, InvalidMessageError } from '../lambda/shared/index.js';
import type { MessageRules } from '../lambda/messages/index.js';
import { ProgressBar } from './progress-bar.js';
import { resolvePublishTarget, TargetError, type PublishTarget } from './publish-target.js';
import { batchesOf, RevocationPublisher, type PublishOutcome } from './publisher.js';
import { parseRevokeArgs, UsageError, USAGE, type RevokeRequest } from './revoke-args.js';
import {
  messageOf,
  packEntries,
  readFileLine,
  splitRevocationFile,
  type OutgoingMessage,
  type RevocationEntry,
} from './revocation-messages.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
/** Invalid items of a --file shown before the rest are only counted. */
const MAX_LINE_ERRORS_SHOWN = 20;

async function main(argv: string[]): Promise<number> {
  let rules: MessageRules;
  let request: RevokeRequest;
  let target: PublishTarget;
  let messages: OutgoingMessage[];
  try {
    // The same TTL rules as an ingest configured from this environment.
    const ingest = loadIngestConfig(process.env);
    rules = {
      nowMs: Date.now(),
      clockToleranceSeconds: ingest.clockToleranceSeconds,
      maxTokenLifetimeSeconds: ingest.maxTokenLifetimeSeconds,
    };
    request = parseRevokeArgs(argv, rules);
    if (request.kind === 'help') {
      console.log(USAGE);
      return 0;
    }
    target = resolvePublishTarget(process.env);
    messages = await buildMessages(request, rules);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`revoke: ${error.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    if (error instanceof InvalidMessageError) {
      console.error(`revoke: the ingest would refuse this revocation: ${error.message}`);
      return EXIT_USAGE;
    }
    if (error instanceof FileError || error instanceof ConfigurationError || error instanceof TargetError) {
      console.error(`revoke: ${error.message}`);
      return EXIT_USAGE;
    }
    throw error;
  }

  if (request.dryRun) {
    for (const message of messages) console.log(message.body);
    console.error(`dry run: ${describeCount(messages)} not published (target: ${describeTarget(target)})`);
    return 0;
  }
  return publishAll(target, messages, request.kind === 'file');
}

async function buildMessages(request: Exclude<RevokeRequest, { kind: 'help' }>, rules: MessageRules): Promise<OutgoingMessage[]> {
  switch (request.kind) {
    case 'raw':
      // Verbatim and unchecked: --raw is how to see what the ingest does with any body.
      return [{ body: request.body, revocations: 0 }];
    case 'entries':
      return [messageOf(request.entries, rules)];
    case 'file':
      return readRevocationFile(request.path, request.issuer, rules);
  }
}

/** A --file that cannot be read or holds invalid lines; nothing is published then. */
class FileError extends Error {}

async function readRevocationFile(path: string, issuer: string | undefined, rules: MessageRules): Promise<OutgoingMessage[]> {
  const entries: RevocationEntry[] = [];
  const messages: OutgoingMessage[] = [];
  const errors: string[] = [];
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') throw new FileError(`cannot read --file ${path}: ${code}`);
    throw error;
  }
  for (const item of splitRevocationFile(content)) {
    if ('problem' in item) {
      errors.push(`  ${item.where}: ${item.problem}`);
      continue;
    }
    try {
      const read = readFileLine(item.text, issuer, rules);
      if (read.kind === 'entry') entries.push(read.entry);
      else if (read.kind === 'message') messages.push(read.message);
    } catch (error) {
      if (!(error instanceof InvalidMessageError)) throw error;
      errors.push(`  ${item.where}: ${error.message}`);
    }
  }
  if (errors.length > 0) {
    const shown = errors.slice(0, MAX_LINE_ERRORS_SHOWN);
    const more = errors.length > shown.length ? `\n  … and ${errors.length - shown.length} more` : '';
    throw new FileError(`${path}: ${errors.length} invalid item(s), nothing published:\n${shown.join('\n')}${more}`);
  }
  const all = [...packEntries(entries, rules), ...messages];
  if (all.length === 0) throw new FileError(`${path} holds no revocations`);
  return all;
}

async function publishAll(target: PublishTarget, messages: OutgoingMessage[], batched: boolean): Promise<number> {
  const publisher = new RevocationPublisher(target);
  const outcomes: PublishOutcome[] = [];
  const total = messages.reduce((sum, message) => sum + message.revocations, 0);
  const progress = new ProgressBar(total, 'revocations');
  try {
    if (!batched) {
      for (const message of messages) outcomes.push(await publisher.publish(message));
    } else {
      for (const batch of batchesOf(messages)) {
        outcomes.push(...(await publisher.publishBatch(batch)));
        progress.advance(batch.reduce((sum, message) => sum + message.revocations, 0));
      }
      progress.finish();
    }
  } catch (error) {
    progress.finish();
    console.error(`revoke: publishing to ${describeTarget(target)} failed: ${describePublishError(error, target)}`);
    if (outcomes.length > 0)
      console.error(
        `revoke: ${describeCount(outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.message))} had been published before that`,
      );
    return EXIT_FAILED;
  } finally {
    publisher.destroy();
  }
  // The local stack has written everything; its gateway enforces it one sync interval later.
  // Waiting that out makes "revoke returned" mean "the next request is refused".
  const enforcedWithinMs = outcomes.some((outcome) => outcome.ok) ? publisher.enforcedWithinMs : undefined;
  if (enforcedWithinMs !== undefined) await new Promise((resolve) => setTimeout(resolve, enforcedWithinMs + 25));

  const failed = outcomes.filter((outcome): outcome is Extract<PublishOutcome, { ok: false }> => !outcome.ok);
  const published = outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.message);
  for (const failure of failed) {
    const where =
      target.kind === 'local' && failure.messageId
        ? ` (dead-lettered in ${target.deadLetterPath ?? "the stack's DATA_DIR/dead-letter.jsonl"})`
        : '';
    console.error(`revoke: message ${failure.messageId ?? '(not accepted)'}: ${failure.error}${where}`);
  }
  if (published.length > 0) {
    const outcome =
      target.kind === 'aws'
        ? 'the ingest function applies it asynchronously'
        : enforcedWithinMs === undefined
          ? 'written to the revocation table'
          : 'written to the revocation table and enforced by the gateway';
    const ids = outcomes.length === 1 && outcomes[0]!.ok ? ` as message ${outcomes[0]!.messageId}` : '';
    console.log(`published ${describeCount(published)} to ${describeTarget(target)}${ids}: ${outcome}`);
  }
  return failed.length > 0 ? EXIT_FAILED : 0;
}

function describeCount(messages: readonly OutgoingMessage[]): string {
  const revocations = messages.reduce((sum, message) => sum + message.revocations, 0);
  const plural = (count: number, word: string) => `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
  return revocations === 0
    ? plural(messages.length, 'message')
    : `${plural(revocations, 'revocation')} in ${plural(messages.length, 'message')}`;
}

function describeTarget(target: PublishTarget): string {
  return target.kind === 'local' ? `the local stack (${target.endpoint})` : target.topicArn;
}

function describePublishError(error: unknown, target: PublishTarget): string {
  const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  if (target.kind === 'local' && (code === 'ECONNREFUSED' || code === 'ECONNRESET')) {
    return `nothing answers there. Is \`npm start\` running? Set PORT if it is not on 3000, or REVOCATION_TOPIC_ARN to publish to AWS.`;
  }
  return describeError(error);
}

// Last, so every declaration above is initialised when main runs.
process.exitCode = await main(process.argv.slice(2));
