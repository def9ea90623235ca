import { parseArgs } from 'node:util';
import { UsageError } from './revoke-args.js';

/** What `npm run table:import` is asked to do. */
export type ImportRequest =
  | {
      readonly kind: 'import';
      /** `-` is standard input. */
      readonly path: string;
      readonly issuer: string | undefined;
      readonly quiet: boolean;
      /** Skip what the checkpoint says a previous run of the same file into the same table completed. */
      readonly resume: boolean;
      /** Where progress is checkpointed: `${path}.import-checkpoint.json` unless given. */
      readonly checkpointPath: string | undefined;
      readonly concurrency: number;
    }
  | { readonly kind: 'help' };

/** Conditional writes in flight at once, unless `--concurrency` says otherwise. @default 64 */
export const DEFAULT_IMPORT_CONCURRENCY = 64;

export const IMPORT_USAGE = `Usage: npm run table:import -- --file PATH [options]

Writes revocations straight into the revocation table (no topic, no ingest function), with the
ingest's conditional writes: a cut-off only moves forward, a jti's expiry only extends, so an import
never undoes a newer revocation and running it twice changes nothing.

  --file PATH | --file -   what revoke --file reads: one jti, JWT or JSON message (our format or WSO2's) per
                           line, a JSON array of them, or one pretty-printed message; - reads standard input
  --iss ISS                issuer of jti lines, and of messages that name none (as the SNS attribute issuer)
  --resume                 continue an interrupted import of the same file into the same table from its checkpoint
  --checkpoint PATH        where progress is recorded (default: PATH.import-checkpoint.json; removed when done)
  --concurrency N          conditional writes in flight at once, 1 to 1000 (default ${DEFAULT_IMPORT_CONCURRENCY})
  --quiet, -q              no progress, only errors and the summary
  --help, -h

Table: REVOCATION_TABLE_NAME (default revocations) at AWS_ENDPOINT_URL_DYNAMODB (default: AWS, with the
SDK's usual region and credentials). TTLs follow JWT_CLOCK_TOLERANCE_SECONDS and JWT_MAX_TOKEN_LIFETIME_SECONDS.
Every item is checked before the first write: an invalid one and nothing is written.
Exit status: 0 imported, 1 failed (rerun with --resume), 2 usage error or invalid file.`;

/** Parses argv (without node and the script); throws UsageError with what is wrong. */
export function parseImportArgs(argv: readonly string[]): ImportRequest {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        file: { type: 'string' },
        iss: { type: 'string' },
        resume: { type: 'boolean', default: false },
        checkpoint: { type: 'string' },
        concurrency: { type: 'string' },
        quiet: { type: 'boolean', short: 'q', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify .*$/s, '') : String(error));
  }
  if (values.help) return { kind: 'help' };
  if (values.file === undefined || values.file === '') throw new UsageError('--file PATH is required (or --file - for standard input)');
  if (values.iss === '') throw new UsageError('--iss must not be empty');
  if (values.file === '-' && (values.resume || values.checkpoint !== undefined)) {
    throw new UsageError('--resume and --checkpoint need a file: standard input cannot be read again');
  }
  if (values.checkpoint === '') throw new UsageError('--checkpoint needs a path');
  let concurrency = DEFAULT_IMPORT_CONCURRENCY;
  if (values.concurrency !== undefined) {
    if (!/^\d{1,4}$/.test(values.concurrency) || Number(values.concurrency) < 1 || Number(values.concurrency) > 1000) {
      throw new UsageError(`--concurrency must be a whole number from 1 to 1000, got "${values.concurrency}"`);
    }
    concurrency = Number(values.concurrency);
  }
  return {
    kind: 'import',
    path: values.file,
    issuer: values.iss,
    quiet: values.quiet,
    resume: values.resume,
    checkpointPath: values.checkpoint,
    concurrency,
  };
}
