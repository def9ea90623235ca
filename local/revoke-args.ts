import { parseArgs } from 'node:util';
import { InvalidMessageError } from '../lambda/shared/index.js';
import type { MessageRules } from '../lambda/messages/index.js';
import { entryFromToken, type RevocationEntry } from './revocation-messages.js';

/** What the command line asks for: revocations built from flags, a raw body, or a file. */
export type RevokeRequest =
  | { readonly kind: 'entries'; readonly entries: readonly RevocationEntry[]; readonly dryRun: boolean }
  | { readonly kind: 'raw'; readonly body: string; readonly dryRun: boolean }
  | { readonly kind: 'file'; readonly path: string; readonly issuer: string | undefined; readonly dryRun: boolean }
  | { readonly kind: 'help' };

/** A command line that cannot be run; the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export const USAGE = `Usage: npm run revoke -- <what> [options]

What to revoke (--jti, --token, --sub and --client can be repeated and combined):
  --jti ID [--iss ISS] [--exp EPOCH_S]   the token with this jti (from ISS; until its exp, in epoch seconds)
  --token JWT                            the token itself (its iss, jti and exp are read; the token is not sent)
  --sub SUB [--at EPOCH_MS]              every token of this subject issued at or before --at (default: now)
  --client ID [--at EPOCH_MS]            every token of this OAuth client issued at or before --at (default: now)
  --raw MESSAGE                          publish MESSAGE verbatim (any format the ingest reads, or not)
  --file PATH [--iss ISS]                one jti, JWT or JSON message per line, or a JSON array of them; published in batches

Options:
  --iss ISS      issuer the --jti, --sub, --client (or --file jti lines) apply to; default: every trusted issuer
  --dry-run      print the messages instead of publishing them
  -h, --help     this text

Target: the local stack (npm start) on PORT (default 3000), or AWS_ENDPOINT_URL_SNS when set;
with REVOCATION_TOPIC_ARN set, that topic on AWS (credentials and region from the AWS SDK defaults).
Exit status: 0 published (and, on the local stack, written), 1 failed, 2 usage error.`;

/** Parses argv (without node and the script); throws UsageError with what is wrong. */
export function parseRevokeArgs(argv: readonly string[], rules: MessageRules): RevokeRequest {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        jti: { type: 'string', multiple: true },
        iss: { type: 'string' },
        exp: { type: 'string' },
        token: { type: 'string', multiple: true },
        sub: { type: 'string', multiple: true },
        client: { type: 'string', multiple: true },
        at: { type: 'string' },
        raw: { type: 'string' },
        file: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify .*$/s, '') : String(error));
  }
  if (values.help) return { kind: 'help' };
  const dryRun = values['dry-run'];
  const jtis = values.jti ?? [];
  const tokens = values.token ?? [];
  const subs = values.sub ?? [];
  const clients = values.client ?? [];
  const fromFlags = jtis.length + tokens.length + subs.length + clients.length > 0;
  const sources = [fromFlags, values.raw !== undefined, values.file !== undefined].filter(Boolean).length;
  if (sources === 0) throw new UsageError('nothing to revoke: give --jti, --token, --sub, --client, --raw or --file');
  if (sources > 1)
    throw new UsageError('--raw and --file each stand alone; do not combine them with each other or with --jti/--token/--sub/--client');
  if (values.exp !== undefined && jtis.length !== 1) throw new UsageError('--exp goes with exactly one --jti');
  if (values.at !== undefined && subs.length + clients.length === 0) throw new UsageError('--at goes with --sub or --client');
  if (values.iss !== undefined && jtis.length + subs.length + clients.length === 0 && values.file === undefined) {
    throw new UsageError('--iss goes with --jti, --sub, --client or --file (a --token carries its own iss)');
  }
  if (values.iss === '') throw new UsageError('--iss must not be empty');

  if (values.raw !== undefined) {
    if (values.raw === '') throw new UsageError('--raw needs a message body');
    return { kind: 'raw', body: values.raw, dryRun };
  }
  if (values.file !== undefined) return { kind: 'file', path: values.file, issuer: values.iss, dryRun };

  const exp = values.exp === undefined ? undefined : wholeNumber('--exp', values.exp, 'epoch seconds');
  const at = values.at === undefined ? rules.nowMs : wholeNumber('--at', values.at, 'epoch milliseconds');
  const iss = values.iss === undefined ? {} : { iss: values.iss };
  const entries: RevocationEntry[] = [
    ...jtis.map((jti): RevocationEntry => ({ type: 'jti', jti, ...iss, ...(exp === undefined ? {} : { exp }) })),
    ...tokens.map((token, index) => {
      try {
        // A JWT holds no whitespace: a newline from `curl` or a file is not part of it.
        return entryFromToken(token.trim(), tokens.length === 1 ? '--token' : `--token #${index + 1}`, rules);
      } catch (error) {
        if (error instanceof InvalidMessageError) throw new UsageError(`${error.message}`);
        throw error;
      }
    }),
    ...subs.map((sub): RevocationEntry => ({ type: 'subject', sub, ...iss, revokedAt: at })),
    ...clients.map((clientId): RevocationEntry => ({ type: 'client', clientId, ...iss, revokedAt: at })),
  ];
  return { kind: 'entries', entries, dryRun };
}

function wholeNumber(flag: string, value: string, unit: string): number {
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${flag} must be a whole number of ${unit}, got "${value}"`);
  }
  return Number(value);
}
