import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { MESSAGE_VERSION, readRevocationMessage, type MessageRules } from '../lambda/messages/index.js';
import { coalesceRevocations } from '../lambda/messages/index.js';
import { countsByKind, REVOCATION_KINDS, type ApplyResult, type Revocation, type RevocationWriter } from '../lambda/revocation/index.js';
import { InvalidMessageError } from '../lambda/shared/index.js';
import { readFileLine, splitRevocationFile } from './revocation-messages.js';

/**
 * `npm run table:import`: a revocation file (the formats `revoke --file` reads) → the revocations
 * the ingest would make of it → conditional writes, in chunks, each chunk checkpointed.
 */

/** One item of the file (a line, an array element) and what the ingest's parser made of it. */
export interface ImportItem {
  readonly where: string;
  readonly revocations: readonly Revocation[];
  /** A message the ingest acknowledges without writing anything (a WSO2 `Default` event). */
  readonly notApplicable: boolean;
}

/** Every item of a file, or the problems of those the ingest would refuse. */
export interface ReadImportFile {
  readonly items: ImportItem[];
  readonly errors: string[];
}

/**
 * Reads a file's items with the ingest's own parser (readRevocationMessage), so an import accepts
 * and refuses exactly what publishing the file would: jti lines and JWTs as `revoke --file` turns
 * them into messages, JSON messages (ours or WSO2's) as they are. `issuer` is the issuer of jti
 * lines and the SNS attribute `issuer` of messages (which name their own first).
 */
export function readImportFile(content: string, issuer: string | undefined, rules: MessageRules): ReadImportFile {
  const items: ImportItem[] = [];
  const errors: string[] = [];
  const attributes = issuer === undefined ? {} : { issuer };
  for (const item of splitRevocationFile(content)) {
    if ('problem' in item) {
      errors.push(`${item.where}: ${item.problem}`);
      continue;
    }
    try {
      const text = item.text.trim();
      if (text.startsWith('{')) {
        const read = readRevocationMessage(text, attributes, rules);
        items.push({ where: item.where, revocations: read.revocations, notApplicable: read.notApplicable !== undefined });
        continue;
      }
      const line = readFileLine(text, issuer, rules);
      const revocations =
        line.kind === 'entry'
          ? readRevocationMessage(JSON.stringify({ version: MESSAGE_VERSION, ...line.entry }), {}, rules).revocations
          : [];
      items.push({ where: item.where, revocations, notApplicable: false });
    } catch (error) {
      if (!(error instanceof InvalidMessageError)) throw error;
      errors.push(`${item.where}: ${error.message}`);
    }
  }
  return { items, errors };
}

/** How far an import got, as recorded after each chunk. */
export interface ImportCheckpoint {
  readonly version: 1;
  /** SHA-256 of the file's content: a checkpoint applies to that content only. */
  readonly sha256: string;
  readonly table: string;
  /** Items (lines, array elements) whose revocations are all written. */
  readonly itemsDone: number;
  readonly revocationsDone: number;
}

/** The SHA-256 a checkpoint records of a file's content. */
export function contentDigest(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The checkpoint at `path`, or undefined when there is none; throws when it is not one. */
export async function readCheckpoint(path: string): Promise<ImportCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<ImportCheckpoint>;
  if (parsed.version !== 1 || typeof parsed.sha256 !== 'string' || !Number.isSafeInteger(parsed.itemsDone)) {
    throw new SyntaxError(`${path} is not an import checkpoint`);
  }
  return parsed as ImportCheckpoint;
}

/** Writes a checkpoint atomically (aside, then renamed over), so a crash leaves the old one or the new one. */
export async function writeCheckpoint(path: string, checkpoint: ImportCheckpoint): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(checkpoint)}\n`);
  await rename(temporary, path);
}

export async function removeCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Revocations per chunk: each chunk is one call of the writer, then its change-head raise, then a checkpoint. */
export const IMPORT_CHUNK_REVOCATIONS = 2000;

export interface ImportProgress {
  readonly itemsDone: number;
  readonly revocationsDone: number;
  /** Revocations written by this chunk. */
  readonly written: number;
}

/** What an import did: written by this run (applied or found newer already), and skipped as already done. */
export interface ImportOutcome {
  readonly applied: ApplyResult['applied'];
  readonly unchanged: ApplyResult['unchanged'];
  readonly revocations: number;
}

/**
 * Writes the items' revocations from item `startItem` on, chunk by chunk (whole items per chunk,
 * about IMPORT_CHUNK_REVOCATIONS revocations each, coalesced within it), and reports each
 * completed chunk to `onChunk` before the next starts, so a checkpoint never names an item whose
 * writes have not all succeeded.
 */
export async function writeImport(
  writer: RevocationWriter,
  items: readonly ImportItem[],
  options: {
    readonly startItem: number;
    readonly revocationsBefore: number;
    readonly concurrency: number;
    readonly onChunk: (progress: ImportProgress) => Promise<void>;
  },
): Promise<ImportOutcome> {
  const outcome = { applied: countsByKind(), unchanged: countsByKind(), revocations: 0 };
  let revocationsDone = options.revocationsBefore;
  let next = options.startItem;
  while (next < items.length) {
    const chunk: Revocation[] = [];
    while (next < items.length && (chunk.length === 0 || chunk.length + items[next]!.revocations.length <= IMPORT_CHUNK_REVOCATIONS)) {
      chunk.push(...items[next]!.revocations);
      next++;
    }
    const written = chunk.length;
    if (written > 0) {
      const result = await writer.applyRevocations(coalesceRevocations(chunk), { concurrency: options.concurrency });
      for (const kind of REVOCATION_KINDS) {
        outcome.applied[kind] += result.applied[kind];
        outcome.unchanged[kind] += result.unchanged[kind];
      }
    }
    outcome.revocations += written;
    revocationsDone += written;
    await options.onChunk({ itemsDone: next, revocationsDone, written });
  }
  return outcome;
}
