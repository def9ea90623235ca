import {
  ANY_ISSUER,
  issuerProblem,
  MAX_TTL_EPOCH_SECONDS,
  MIN_CUTOFF_EPOCH_MS,
  REVOCATION_KINDS,
  revocationId,
  storageProblem,
  type Revocation,
  type RevocationKind,
  type StorageProblem,
} from '../revocation/index.js';

/**
 * The entries of a change-feed page (the `entries` attribute of `feed#slot#replica`, docs/scale.md
 * "The change feed"), pure: encode, strictly decode, and split a list of revocations into pages.
 *
 * Version 1 is JSON, each issuer written once per page:
 *
 *   {"v":1,"i":["https://issuer.example.com",...],"e":[[0,0,"jti-1",1800003600],[1,0,"alice",1800000000000,1800086460],...]}
 *
 * - `i`  the page's issuers (each once; `*` is ANY_ISSUER), in order of first use.
 * - `e`  one array per revocation: kind code (0 jti, 1 subject, 2 client, 3 session), index into
 *        `i`, stored id, then for a jti its expiry (epoch seconds), for the others the cut-off or
 *        revocation time (epoch ms) and the expiry (epoch seconds). A UUID jti entry is 55 bytes (56 with its comma).
 *
 * The decoder refuses the whole page on the first entry that breaks a rule the table keeps
 * (issuerProblem, storageProblem: stored ids, key size, TTL in seconds, cut-offs in ms): a reader
 * treats a refused page as missing and reads the change index instead, so a page it cannot trust
 * never reaches its view.
 */

/** The version this module writes, and the only one it reads. */
export const FEED_FORMAT_VERSION = 1;

/**
 * The most UTF-8 bytes of entries one page holds: well under DynamoDB's 400 KB item limit (the
 * key, `seq` and attribute names are a few dozen bytes), and 64 of them fit one BatchGetItem
 * response (16 MB) with room to spare.
 */
export const FEED_PAGE_MAX_BYTES = 262_144;

/** The smallest page bound {@link splitIntoPages} accepts: one entry of the longest issuer and id, escaped, always fits. */
export const FEED_PAGE_MIN_BYTES = 8192;

/** Why a page's entries were refused; `entry` is the index of the offending entry, when one is. */
export interface FeedPageProblem {
  readonly reason: FeedPageProblemReason;
  readonly message: string;
  readonly entry?: number;
}

export type FeedPageProblemReason =
  'too_large' | 'not_json' | 'shape' | 'version' | 'issuer' | 'issuer_index' | 'kind' | 'entry_shape' | 'id' | 'expires_at' | 'revoked_at';

/** A decoded page: its revocations, or why it was refused. */
export type DecodedFeedPage =
  { readonly ok: true; readonly revocations: Revocation[] } | { readonly ok: false; readonly problem: FeedPageProblem };

const KIND_CODES: Readonly<Record<RevocationKind, number>> = { jti: 0, subject: 1, client: 2, session: 3 };
const PREFIX = `{"v":${FEED_FORMAT_VERSION},"i":[`;

/**
 * Encodes revocations as one page's entries, in the order given. Throws RangeError when one breaks
 * the table's rules (they come from the change index, so that is a bug), as assertStorable does.
 */
export function encodeFeedPage(revocations: readonly Revocation[]): string {
  const page = new PageBuilder();
  revocations.forEach((revocation, index) => page.add(revocation, index));
  return page.encode();
}

/** A revocation made publishable, or why it cannot be; `changed` when a time had to move. */
export type NormalisedRevocation =
  | { readonly ok: true; readonly revocation: Revocation; readonly changed: boolean }
  | { readonly ok: false; readonly problem: StorageProblem };

/**
 * The revocation as the encoder accepts it, with an equal or stronger effect in the authorizer's
 * cache (which refuses a jti or session until expiresAt, and a token with iat * 1000 <= T under a
 * cut-off T until expiresAt). The change index can return items the encoder refuses (toRevocation
 * reads them leniently); one of those must never stop the writer:
 * - expiresAt: fractional → ceil; at or over MAX_TTL_EPOCH_SECONDS (milliseconds by mistake) →
 *   the largest allowed (still effectively forever).
 * - a session's revokedAt (it only dates the session, enforced by expiry alone): fractional →
 *   ceil, missing (0) or under MIN_CUTOFF_EPOCH_MS or past a safe integer → MIN_CUTOFF_EPOCH_MS.
 * - a subject or client cut-off T: fractional → ceil (refuses at least the same tokens); under
 *   MIN_CUTOFF_EPOCH_MS → that (no token has an iat before 1973: the same effect); past
 *   Number.MAX_SAFE_INTEGER → that (no token has an iat after the year 287,396).
 * What still breaks a rule (kind, issuer, id, key size, an expiry that is not a positive number,
 * a cut-off that is not a number) is refused with storageProblem's reason: the caller skips it.
 */
export function normaliseForFeed(revocation: Revocation): NormalisedRevocation {
  const expires = revocation?.expiresAtEpochSeconds;
  const fixed = { ...revocation };
  if (typeof expires === 'number' && expires > 0) fixed.expiresAtEpochSeconds = Math.min(Math.ceil(expires), MAX_TTL_EPOCH_SECONDS - 1);
  if (fixed.kind === 'session' || fixed.kind === 'subject' || fixed.kind === 'client') {
    const t = fixed.revokedAtEpochMs;
    if (fixed.kind === 'session') {
      const ceiled = typeof t === 'number' ? Math.ceil(t) : NaN;
      fixed.revokedAtEpochMs = Number.isSafeInteger(ceiled) && ceiled >= MIN_CUTOFF_EPOCH_MS ? ceiled : MIN_CUTOFF_EPOCH_MS;
    } else if (typeof t === 'number' && !Number.isNaN(t)) {
      fixed.revokedAtEpochMs = Math.min(Math.max(Math.ceil(t), MIN_CUTOFF_EPOCH_MS), Number.MAX_SAFE_INTEGER);
    }
  }
  const problem = storageProblem(fixed);
  if (problem !== undefined) return { ok: false, problem };
  const changed =
    fixed.expiresAtEpochSeconds !== revocation.expiresAtEpochSeconds ||
    (fixed.kind !== 'jti' && revocation.kind !== 'jti' && fixed.revokedAtEpochMs !== revocation.revokedAtEpochMs);
  return { ok: true, revocation: changed ? fixed : revocation, changed };
}

/**
 * Splits revocations, in order, into the fewest pages whose entries are each at most `maxBytes`
 * UTF-8 bytes. No revocations, no pages.
 * @throws RangeError when `maxBytes` is under {@link FEED_PAGE_MIN_BYTES}, or a revocation breaks the table's rules.
 */
export function splitIntoPages(revocations: readonly Revocation[], maxBytes = FEED_PAGE_MAX_BYTES): string[] {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < FEED_PAGE_MIN_BYTES) {
    throw new RangeError(`maxBytes must be a whole number of bytes, at least ${FEED_PAGE_MIN_BYTES}, got ${maxBytes}`);
  }
  const pages: string[] = [];
  let page = new PageBuilder();
  revocations.forEach((revocation, index) => {
    if (page.count > 0 && page.bytesWith(revocation) > maxBytes) {
      pages.push(page.encode());
      page = new PageBuilder();
    }
    page.add(revocation, index);
  });
  if (page.count > 0) pages.push(page.encode());
  return pages;
}

/** Decodes a page's entries, refusing anything this version did not write (see the module comment). */
export function decodeFeedPage(entries: unknown): DecodedFeedPage {
  if (typeof entries !== 'string') return refuse('shape', 'entries must be a string');
  // Measured in UTF-16 units first: a string longer than that many units is over in bytes too.
  if (entries.length > DECODE_MAX_BYTES || Buffer.byteLength(entries) > DECODE_MAX_BYTES) {
    return refuse('too_large', `entries must be at most ${DECODE_MAX_BYTES} bytes`);
  }
  // The writer puts the version first; a page of another version is refused before it is parsed.
  if (!entries.startsWith(PREFIX)) {
    return /^\{"v":\d+,/.test(entries)
      ? refuse('version', `only version ${FEED_FORMAT_VERSION} is read`)
      : refuse('shape', 'not a feed page');
  }
  let page: unknown;
  try {
    page = JSON.parse(entries);
  } catch {
    return refuse('not_json', 'entries are not valid JSON');
  }
  if (!isPlainObject(page) || Object.keys(page).length !== 3 || !Array.isArray(page.i) || !Array.isArray(page.e)) {
    return refuse('shape', 'a page is {"v","i":[...],"e":[...]} and nothing else');
  }
  if (page.v !== FEED_FORMAT_VERSION) return refuse('version', `only version ${FEED_FORMAT_VERSION} is read`);
  const issuers = page.i as unknown[];
  const seen = new Set<string>();
  for (const issuer of issuers) {
    if (typeof issuer !== 'string') return refuse('issuer', 'every issuer must be a string');
    const problem = issuer === ANY_ISSUER ? undefined : issuerProblem(issuer);
    if (problem !== undefined) return refuse('issuer', `issuer ${problem}`);
    if (seen.has(issuer)) return refuse('issuer', 'an issuer is listed twice');
    seen.add(issuer);
  }
  const revocations: Revocation[] = [];
  const rows = page.e as unknown[];
  for (let index = 0; index < rows.length; index++) {
    const decoded = decodeEntry(rows[index], issuers as string[], index);
    if ('reason' in decoded) return { ok: false, problem: decoded };
    revocations.push(decoded);
  }
  return { ok: true, revocations };
}

/** The largest entries the decoder reads: the writer's bound, and what DynamoDB's item limit leaves. */
const DECODE_MAX_BYTES = 400_000;

function decodeEntry(row: unknown, issuers: readonly string[], entry: number): Revocation | FeedPageProblem {
  if (!Array.isArray(row) || row.length < 4) return { reason: 'entry_shape', message: 'an entry is an array of 4 or 5 values', entry };
  const [code, issuerIndex, id] = row as unknown[];
  const kind = REVOCATION_KINDS.find((candidate) => KIND_CODES[candidate] === code);
  if (kind === undefined) return { reason: 'kind', message: 'the kind code must be 0, 1, 2 or 3', entry };
  if (row.length !== (kind === 'jti' ? 4 : 5)) {
    return { reason: 'entry_shape', message: `a ${kind} entry has ${kind === 'jti' ? 4 : 5} values`, entry };
  }
  if (typeof issuerIndex !== 'number' || !Number.isInteger(issuerIndex) || issuerIndex < 0 || issuerIndex >= issuers.length) {
    return { reason: 'issuer_index', message: 'the issuer index must point into the page issuers', entry };
  }
  if (typeof id !== 'string') return { reason: 'id', message: 'the id must be a string', entry };
  const issuer = issuers[issuerIndex]!;
  const revocation: Revocation =
    kind === 'jti'
      ? { kind, issuer, jti: id, expiresAtEpochSeconds: row[3] as number }
      : { kind, issuer, id, revokedAtEpochMs: row[3] as number, expiresAtEpochSeconds: row[4] as number };
  const problem = storageProblem(revocation);
  if (problem === undefined) return revocation;
  const reason = problem.field === 'expiresAtEpochSeconds' ? 'expires_at' : problem.field === 'revokedAtEpochMs' ? 'revoked_at' : 'id';
  return { reason, message: problem.message, entry };
}

function refuse(reason: FeedPageProblemReason, message: string): DecodedFeedPage {
  return { ok: false, problem: { reason, message } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One page being built: its issuers and entries as JSON text, and their UTF-8 size so far. */
class PageBuilder {
  private readonly issuers = new Map<string, number>();
  private readonly issuerTexts: string[] = [];
  private readonly entryTexts: string[] = [];
  // `{"v":1,"i":[` + `],"e":[` + `]}`
  private bytes = Buffer.byteLength(PREFIX) + 9;

  get count(): number {
    return this.entryTexts.length;
  }

  /** The page's size with `revocation` added. */
  bytesWith(revocation: Revocation): number {
    const issuerBytes = this.issuers.has(revocation.issuer)
      ? 0
      : Buffer.byteLength(JSON.stringify(revocation.issuer)) + this.commaIf(this.issuers.size);
    const index = this.issuers.get(revocation.issuer) ?? this.issuers.size;
    return this.bytes + issuerBytes + Buffer.byteLength(entryText(revocation, index)) + this.commaIf(this.entryTexts.length);
  }

  add(revocation: Revocation, position: number): void {
    const problem = storageProblem(revocation);
    if (problem !== undefined) throw new RangeError(`revocations[${position}] cannot be published: ${problem.message}`);
    this.bytes = this.bytesWith(revocation);
    let index = this.issuers.get(revocation.issuer);
    if (index === undefined) {
      index = this.issuers.size;
      this.issuers.set(revocation.issuer, index);
      this.issuerTexts.push(JSON.stringify(revocation.issuer));
    }
    this.entryTexts.push(entryText(revocation, index));
  }

  encode(): string {
    return `${PREFIX}${this.issuerTexts.join(',')}],"e":[${this.entryTexts.join(',')}]}`;
  }

  private commaIf(count: number): number {
    return count > 0 ? 1 : 0;
  }
}

function entryText(revocation: Revocation, issuerIndex: number): string {
  const id = JSON.stringify(revocationId(revocation));
  const code = KIND_CODES[revocation.kind];
  return revocation.kind === 'jti'
    ? `[${code},${issuerIndex},${id},${revocation.expiresAtEpochSeconds}]`
    : `[${code},${issuerIndex},${id},${revocation.revokedAtEpochMs},${revocation.expiresAtEpochSeconds}]`;
}
