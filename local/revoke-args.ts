import { parseArgs } from 'node:util';
import type { Environment } from '../lambda/config/index.js';
import type { MessageRules } from '../lambda/messages/index.js';
import { InvalidMessageError } from '../lambda/shared/index.js';
import { entryFromToken, type RevocationEntry } from './revocation-messages.js';

/** What the command line asks for: revocations built from flags, a raw body, or a file. */
export type RevokeRequest =
  | { readonly kind: 'entries'; readonly entries: readonly RevocationEntry[]; readonly dryRun: boolean; readonly quiet: boolean }
  | { readonly kind: 'raw'; readonly body: string; readonly dryRun: boolean; readonly quiet: boolean }
  | {
      readonly kind: 'file';
      /** `-` is standard input. */
      readonly path: string;
      readonly issuer: string | undefined;
      readonly dryRun: boolean;
      readonly quiet: boolean;
    }
  | { readonly kind: 'help' };

/** Where a secret may come from other than the command line, which `ps` and npm's echo show. */
export interface RevokeInputs {
  /** The environment, for --token-env. */
  readonly env: Environment;
  /** Reads all of standard input, for `--token -` and `--raw -` (`--file -` is read later, by the caller). */
  readonly readStdin: () => Promise<string>;
}

/** A command line that cannot be run; the CLI prints it on one line with a pointer to --help and exits 2. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Standard input as a value of --token, --raw or --file. */
export const STDIN = '-';

export const USAGE = `Usage: npm run revoke -- <what> [options]

What to revoke (--jti, --token, --token-env, --sub, --client and --session can be repeated and combined):
  --jti ID [--iss ISS] [--exp EPOCH_S]   the token with this jti (from ISS; until its exp, in epoch seconds)
  --token JWT | --token -                the token itself (its iss, jti and exp are read; the token is not sent);
                                         - reads it from standard input, so it is not in the process list
  --token-env NAME                       the token in environment variable NAME
  --sub SUB [--at EPOCH_MS]              every token of this subject issued at or before --at (default: now)
  --client ID [--at EPOCH_MS]            every token of this OAuth client issued at or before --at (default: now)
  --session ID                           every token of this session (its sid claim, or JWT_SESSION_CLAIM's), whenever
                                         issued, for the maximum token lifetime
  --raw MESSAGE | --raw -                publish MESSAGE verbatim (any format the ingest reads, or not); - reads standard input
  --file PATH | --file -                 one jti, JWT or JSON message per line, or a JSON array of them; published in batches;
                                         - reads standard input

Options:
  --iss ISS      issuer the --jti, --sub, --client, --session (or --file jti lines) apply to; default: every trusted issuer
  --dry-run      print the messages instead of publishing them
  -q, --quiet    print only errors (no progress, no summary); the exit status tells the outcome
  -h, --help     this text

Target: the local stack (npm start) on PORT (default 3000), or AWS_ENDPOINT_URL_SNS when set;
with REVOCATION_TOPIC_ARN set, that topic on AWS (credentials and region from the AWS SDK defaults).
Exit status: 0 published (and, on the local stack, written), 1 failed, 2 usage error.`;

/** Parses argv (without node and the script); throws UsageError with what is wrong. */
export async function parseRevokeArgs(argv: readonly string[], rules: MessageRules, inputs: RevokeInputs): Promise<RevokeRequest> {
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
        'token-env': { type: 'string', multiple: true },
        sub: { type: 'string', multiple: true },
        client: { type: 'string', multiple: true },
        session: { type: 'string', multiple: true },
        at: { type: 'string' },
        raw: { type: 'string' },
        file: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify .*$/s, '') : String(error));
  }
  if (values.help) return { kind: 'help' };
  const { quiet } = values;
  const dryRun = values['dry-run'];
  const jtis = values.jti ?? [];
  const tokens = values.token ?? [];
  const tokenVariables = values['token-env'] ?? [];
  const subs = values.sub ?? [];
  const clients = values.client ?? [];
  const sessions = values.session ?? [];
  const fromFlags = jtis.length + tokens.length + tokenVariables.length + subs.length + clients.length + sessions.length > 0;
  const sources = [fromFlags, values.raw !== undefined, values.file !== undefined].filter(Boolean).length;
  if (sources === 0) {
    throw new UsageError('nothing to revoke: give --jti, --token, --token-env, --sub, --client, --session, --raw or --file');
  }
  if (sources > 1) {
    throw new UsageError(
      '--raw and --file each stand alone; do not combine them with each other or with --jti/--token/--sub/--client/--session',
    );
  }
  if (tokens.filter((token) => token === STDIN).length > 1) throw new UsageError('only one --token can be - (standard input)');
  if (values.exp !== undefined && jtis.length !== 1) throw new UsageError('--exp goes with exactly one --jti');
  if (values.at !== undefined && subs.length + clients.length === 0) {
    // A session revocation refuses every token of the session, whenever issued: no time to give.
    throw new UsageError('--at goes with --sub or --client (--session refuses every token of the session, whatever its iat)');
  }
  if (values.iss !== undefined && jtis.length + subs.length + clients.length + sessions.length === 0 && values.file === undefined) {
    throw new UsageError('--iss goes with --jti, --sub, --client, --session or --file (a --token carries its own iss)');
  }
  if (values.iss === '') throw new UsageError('--iss must not be empty');

  if (values.raw !== undefined) {
    const body = values.raw === STDIN ? await inputs.readStdin() : values.raw;
    if (body === '') throw new UsageError(values.raw === STDIN ? '--raw -: standard input is empty' : '--raw needs a message body');
    return { kind: 'raw', body, dryRun, quiet };
  }
  if (values.file !== undefined) {
    if (values.file === '') throw new UsageError('--file needs a path (or - for standard input)');
    return { kind: 'file', path: values.file, issuer: values.iss, dryRun, quiet };
  }

  const exp = values.exp === undefined ? undefined : wholeNumber('--exp', values.exp, 'epoch seconds');
  const at = values.at === undefined ? rules.nowMs : wholeNumber('--at', values.at, 'epoch milliseconds');
  const iss = values.iss === undefined ? {} : { iss: values.iss };
  const givenTokens: { readonly text: string; readonly from: string }[] = [];
  for (const [index, token] of tokens.entries()) {
    const from = tokens.length === 1 ? '--token' : `--token #${index + 1}`;
    givenTokens.push(token === STDIN ? { text: await inputs.readStdin(), from: `${from} - (standard input)` } : { text: token, from });
  }
  for (const name of tokenVariables) {
    const value = inputs.env[name];
    if (value === undefined) {
      throw new UsageError(
        `--token-env ${name}: the environment has no variable ${name} (export it first, or pipe the token to --token -)`,
      );
    }
    givenTokens.push({ text: value, from: `--token-env ${name}` });
  }
  const entries: RevocationEntry[] = [
    ...jtis.map((jti): RevocationEntry => ({ type: 'jti', jti, ...iss, ...(exp === undefined ? {} : { exp }) })),
    ...givenTokens.map(({ text, from }) => entryFromGivenToken(text, from, rules)),
    ...subs.map((sub): RevocationEntry => ({ type: 'subject', sub, ...iss, revokedAt: at })),
    ...clients.map((clientId): RevocationEntry => ({ type: 'client', clientId, ...iss, revokedAt: at })),
    // No revokedAt: the ingest dates it at the publish time, which only sets how long it is kept.
    ...sessions.map((sid): RevocationEntry => ({ type: 'session', sid, ...iss })),
  ];
  return { kind: 'entries', entries, dryRun, quiet };
}

function entryFromGivenToken(text: string, from: string, rules: MessageRules): RevocationEntry {
  // A JWT holds no whitespace: a newline from `curl`, `echo` or a file is not part of it.
  const token = text.trim();
  if (token === '') throw new UsageError(`${from} is empty`);
  if (/\s/.test(token)) {
    // e.g. `TOKEN=$(npm run token)` on an npm that echoed the script line into the capture.
    throw new UsageError(`${from} must be one JWT, got ${token.split(/\s+/).length} words of text (did something else print into it?)`);
  }
  try {
    return entryFromToken(token, from, rules);
  } catch (error) {
    if (error instanceof InvalidMessageError) throw new UsageError(error.message);
    throw error;
  }
}

function wholeNumber(flag: string, value: string, unit: string): number {
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${flag} must be a whole number of ${unit}, got "${value}"`);
  }
  return Number(value);
}
