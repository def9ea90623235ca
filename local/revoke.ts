/**
 * `npm run revoke -- ARGS`: publishes revocations to the local stack's SNS endpoint, or to
 * REVOCATION_TOPIC_ARN on AWS. See USAGE in revoke-args.ts. Exit status: 0 published (on the
 * local stack: written to the table and enforced by the gateway), 1 failed, 2 usage error.
 */
import './quiet-node-warning.js';
import { readFile } from 'node:fs/promises';
import { loadIngestConfig } from '../lambda/config/index.js';
import type { MessageRules } from '../lambda/messages/index.js';
import { ConfigurationError, describeError, InvalidMessageError } from '../lambda/shared/index.js';
import { ProgressReporter } from './progress.js';
import { resolvePublishTarget, TargetError, type PublishTarget } from './publish-target.js';
import { batchesOf, RevocationPublisher, type PublishOutcome } from './publisher.js';
import { parseRevokeArgs, STDIN, UsageError, USAGE, type RevokeRequest } from './revoke-args.js';
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
const HELP_POINTER = '(npm run revoke -- --help for the usage)';

async function main(argv: string[]): Promise<number> {
  // Every configuration problem at once, each naming its variable: one round trip to fix them.
  const problems: string[] = [];
  const ingest = collect(problems, () => loadIngestConfig(process.env)) ?? loadIngestConfig({});
  const target = collect(problems, () => resolvePublishTarget(process.env));
  // The same TTL rules as an ingest configured from this environment.
  const rules: MessageRules = {
    nowMs: Date.now(),
    clockToleranceSeconds: ingest.clockToleranceSeconds,
    maxTokenLifetimeSeconds: ingest.maxTokenLifetimeSeconds,
  };
  let request: RevokeRequest;
  let messages: OutgoingMessage[];
  try {
    request = await parseRevokeArgs(argv, rules, { env: process.env, readStdin: readStandardInput });
    if (request.kind === 'help') {
      console.log(USAGE);
      return 0;
    }
    if (problems.length > 0 || target === undefined) {
      console.error(`revoke: nothing published; fix the environment first:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
      return EXIT_USAGE;
    }
    messages = await buildMessages(request, rules);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`revoke: ${error.message} ${HELP_POINTER}`);
      return EXIT_USAGE;
    }
    if (error instanceof InvalidMessageError) {
      console.error(`revoke: the ingest would refuse this revocation: ${error.message}`);
      return EXIT_USAGE;
    }
    if (error instanceof FileError) {
      console.error(`revoke: ${error.message}`);
      return EXIT_USAGE;
    }
    throw error;
  }

  if (request.dryRun) {
    for (const message of messages) console.log(message.body);
    if (!request.quiet) console.error(`dry run: ${describeCount(messages)} not published (target: ${describeTarget(target)})`);
    return 0;
  }
  return publishAll(target, messages, request.kind === 'file', request.quiet);
}

/** Runs `load`; a configuration problem goes into `problems` (and undefined comes back), anything else is thrown. */
function collect<T>(problems: string[], load: () => T): T | undefined {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigurationError) problems.push(...error.problems);
    else if (error instanceof TargetError) problems.push(error.message);
    else throw error;
    return undefined;
  }
}

/** All of standard input: `--token -`, `--raw -`, `--file -`. */
async function readStandardInput(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('revoke: reading standard input; end it with Ctrl-D\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
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
  const name = path === STDIN ? 'standard input' : path;
  let content: string;
  try {
    content = path === STDIN ? await readStandardInput() : await readFile(path, 'utf8');
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
    throw new FileError(`${name}: ${errors.length} invalid item(s), nothing published:\n${shown.join('\n')}${more}`);
  }
  const all = [...packEntries(entries, rules), ...messages];
  if (all.length === 0) throw new FileError(`${name} holds no revocations`);
  return all;
}

async function publishAll(target: PublishTarget, messages: OutgoingMessage[], bulk: boolean, quiet: boolean): Promise<number> {
  const publisher = new RevocationPublisher(target);
  const outcomes: PublishOutcome[] = [];
  const total = messages.reduce((sum, message) => sum + message.revocations, 0);
  const progress = new ProgressReporter(bulk ? total : 0, 'revocations', { quiet });
  progress.start(`revoke: publishing ${describeCount(messages)} to ${describeTarget(target)}`);
  try {
    if (!bulk || target.kind === 'local') {
      // The local stack answers each message once its ingest has written it, and writes one
      // message at a time whatever the call: one message per call moves the progress as the
      // writes land instead of once per ten messages (seconds apart for big files).
      for (const message of messages) {
        outcomes.push(await publisher.publish(message));
        progress.advance(message.revocations);
      }
    } else {
      for (const batch of batchesOf(messages)) {
        outcomes.push(...(await publisher.publishBatch(batch)));
        progress.advance(batch.reduce((sum, message) => sum + message.revocations, 0));
      }
    }
    progress.finish();
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
  if (published.length > 0 && !quiet) {
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

/** Codes of a connection that never got an answer: nothing listens there, or the host is wrong. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ETIMEDOUT']);

function describePublishError(error: unknown, target: PublishTarget): string {
  const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const unreachable = code !== undefined && UNREACHABLE.has(code);
  if (target.kind === 'aws') {
    if (unreachable && target.endpoint !== undefined) {
      return `nothing answers at ${target.endpoint} (${code}), the endpoint AWS_ENDPOINT_URL_SNS (or AWS_ENDPOINT_URL) names. Check it, or unset it to publish to SNS itself.`;
    }
    return describeError(error);
  }
  const where = `nothing answers at ${target.endpoint} (${code})`;
  if (target.chosenBy === 'AWS_ENDPOINT_URL_SNS') {
    const hint = `The local stack's SNS endpoint is http://127.0.0.1:PORT/_local/sns; unset AWS_ENDPOINT_URL_SNS to find the stack on PORT.`;
    if (unreachable) return `${where}, the endpoint AWS_ENDPOINT_URL_SNS names. ${hint}`;
    if (status !== undefined)
      return `${target.endpoint}, the endpoint AWS_ENDPOINT_URL_SNS names, is not an SNS endpoint (HTTP ${status}). ${hint}`;
    return describeError(error);
  }
  if (!unreachable) return describeError(error);
  switch (target.chosenBy) {
    case 'PORT':
      return `${where}: is \`npm start\` running with PORT=${new URL(target.endpoint).port}? Its ready message names its port; unset PORT to use the running stack's state file.`;
    case 'state file':
      return `${where}, where local-stack.json in DATA_DIR says the running stack is. If no stack runs, that file is stale: delete it (or set PORT to the stack's port).`;
    case 'default':
      return `${where}: is \`npm start\` running? Set PORT if it is not on 3000, or REVOCATION_TOPIC_ARN to publish to AWS.`;
  }
}

// Last, so every declaration above is initialised when main runs.
process.exitCode = await main(process.argv.slice(2));
