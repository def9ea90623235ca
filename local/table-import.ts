/**
 * `npm run table:import -- --file PATH`: writes revocations straight into the revocation table at
 * AWS_ENDPOINT_URL_DYNAMODB (REVOCATION_TABLE_NAME), for migrations and catch-up (a WSO2 export).
 * See IMPORT_USAGE in import-args.ts. Exit status: 0 imported, 1 failed, 2 usage error or invalid file.
 */
import './quiet-node-warning.js';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadIngestConfig } from '../lambda/config/index.js';
import type { MessageRules } from '../lambda/messages/index.js';
import { RevocationStore } from '../lambda/revocation/index.js';
import { ConfigurationError, describeError } from '../lambda/shared/index.js';
import { cliTable } from './dynamo-cli-client.js';
import { IMPORT_USAGE, parseImportArgs, type ImportRequest } from './import-args.js';
import { ProgressReporter } from './progress.js';
import {
  contentDigest,
  readCheckpoint,
  readImportFile,
  removeCheckpoint,
  writeCheckpoint,
  writeImport,
  type ImportCheckpoint,
} from './revocation-import.js';
import { UsageError } from './revoke-args.js';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
/** Invalid items shown before the rest are only counted. */
const MAX_ERRORS_SHOWN = 20;

async function main(argv: string[]): Promise<number> {
  let request: ImportRequest;
  try {
    request = parseImportArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`table:import: ${error.message} (npm run table:import -- --help for the usage)`);
    return EXIT_USAGE;
  }
  if (request.kind === 'help') {
    console.log(IMPORT_USAGE);
    return 0;
  }
  let ingest;
  try {
    ingest = loadIngestConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    console.error(
      `table:import: nothing written; fix the environment first:\n${error.problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
    return EXIT_USAGE;
  }
  const startedMs = Date.now();
  // A cut-off without a time is the import's start, as it would be the publish time of a message.
  const rules: MessageRules = {
    nowMs: startedMs,
    publishedAtMs: startedMs,
    clockToleranceSeconds: ingest.clockToleranceSeconds,
    maxTokenLifetimeSeconds: ingest.maxTokenLifetimeSeconds,
  };

  const name = request.path === '-' ? 'standard input' : request.path;
  let content: string;
  try {
    content = request.path === '-' ? await readStandardInput() : await readFile(request.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      console.error(`table:import: cannot read --file ${request.path}: ${code}`);
      return EXIT_USAGE;
    }
    throw error;
  }
  const { items, errors } = readImportFile(content, request.issuer, rules);
  if (errors.length > 0) {
    const shown = errors.slice(0, MAX_ERRORS_SHOWN).map((error) => `  ${error}`);
    const more = errors.length > shown.length ? `\n  … and ${errors.length - shown.length} more` : '';
    console.error(`table:import: ${name}: ${errors.length} invalid item(s), nothing written:\n${shown.join('\n')}${more}`);
    return EXIT_USAGE;
  }
  const total = items.reduce((sum, item) => sum + item.revocations.length, 0);
  const notApplicable = items.filter((item) => item.notApplicable).length;
  if (total === 0 && notApplicable === 0) {
    console.error(`table:import: ${name} holds no revocations`);
    return EXIT_USAGE;
  }

  // One attempt per send: the store retries throttling and timeouts itself, stamping each attempt anew.
  const { client, tableName, endpoint } = cliTable(process.env, { maxAttempts: 1, requestTimeoutMs: 5000 });
  const checkpointPath = request.path === '-' ? undefined : (request.checkpointPath ?? `${resolve(request.path)}.import-checkpoint.json`);
  const digest = contentDigest(content);
  let start = { itemsDone: 0, revocationsDone: 0 };
  if (checkpointPath !== undefined) {
    let checkpoint: ImportCheckpoint | undefined;
    try {
      checkpoint = await readCheckpoint(checkpointPath);
    } catch (error) {
      console.error(`table:import: ${describeError(error)}`);
      return EXIT_USAGE;
    }
    if (request.resume && checkpoint !== undefined) {
      if (checkpoint.sha256 !== digest || checkpoint.table !== tableName || checkpoint.itemsDone > items.length) {
        console.error(
          `table:import: ${checkpointPath} records an import of other content or into another table than ${name} into ${tableName}; nothing written. Delete it to start over.`,
        );
        return EXIT_USAGE;
      }
      start = { itemsDone: checkpoint.itemsDone, revocationsDone: checkpoint.revocationsDone };
      if (!request.quiet) {
        console.error(`table:import: resuming after ${checkpoint.revocationsDone.toLocaleString('en-US')} revocations (${checkpointPath})`);
      }
    } else if (request.resume && !request.quiet) {
      console.error(`table:import: no checkpoint at ${checkpointPath}; starting from the beginning`);
    } else if (checkpoint !== undefined && !request.quiet) {
      console.error(`table:import: starting over; ${checkpointPath} is left from an earlier run (--resume continues it)`);
    }
  }

  // The store's conditional writes are the ingest's: a cut-off only moves forward, a jti's expiry
  // only extends; each chunk ends with a raise of the change head, so warm authorizers notice it.
  const store = new RevocationStore(client, tableName);
  const progress = new ProgressReporter(total - start.revocationsDone, 'revocations', { quiet: request.quiet });
  progress.start(
    `table:import: writing ${(total - start.revocationsDone).toLocaleString('en-US')} revocations into ${tableName} at ${endpoint}`,
  );
  const writingStartedMs = performance.now();
  try {
    const outcome = await writeImport(store, items, {
      startItem: start.itemsDone,
      revocationsBefore: start.revocationsDone,
      concurrency: request.concurrency,
      onChunk: async ({ itemsDone, revocationsDone, written }) => {
        if (checkpointPath !== undefined) {
          await writeCheckpoint(checkpointPath, { version: 1, sha256: digest, table: tableName, itemsDone, revocationsDone });
        }
        progress.advance(written);
      },
    });
    progress.finish();
    if (checkpointPath !== undefined) await removeCheckpoint(checkpointPath);
    const seconds = (performance.now() - writingStartedMs) / 1000;
    const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    const rate = seconds > 0 ? Math.round(outcome.revocations / seconds) : outcome.revocations;
    console.log(
      `imported ${outcome.revocations.toLocaleString('en-US')} revocations from ${name} into ${tableName} at ${endpoint} in ${seconds.toFixed(1)} s (${rate.toLocaleString('en-US')}/s): ` +
        `${sum(outcome.applied).toLocaleString('en-US')} applied, ${sum(outcome.unchanged).toLocaleString('en-US')} unchanged (as new or newer already)` +
        (start.itemsDone > 0 ? `, ${start.revocationsDone.toLocaleString('en-US')} done by the run resumed` : '') +
        (notApplicable > 0 ? `, ${notApplicable} message(s) not applicable (nothing to write)` : ''),
    );
    return 0;
  } catch (error) {
    progress.finish();
    const resume = checkpointPath === undefined ? 'run it again' : `run it again with --resume to continue from ${checkpointPath}`;
    console.error(
      `table:import: writing to ${tableName} at ${endpoint} failed: ${describeError(error)}; what was written stays (${resume})`,
    );
    return EXIT_FAILED;
  } finally {
    client.destroy();
  }
}

async function readStandardInput(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('table:import: reading standard input; end it with Ctrl-D\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

process.exitCode = await main(process.argv.slice(2));
