import { isAscii, isUtf8 } from 'node:buffer';
import { TokenRejectedError } from '../shared/index.js';
import { ScratchBuffer } from './scratch-buffer.js';
import { parseJsonObject } from './strict-json.js';

/** A compact JWS split into its parts. Nothing in it is trusted yet. */
export interface ParsedToken {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** `BASE64URL(header) "." BASE64URL(payload)`, the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

/**
 * What a {@link TokenParser} gives: a {@link ParsedToken} whose signature is left as it appears
 * (canonical base64url, checked), for the verifier to decode into its own buffer right before it
 * verifies: a new Buffer per token drained Node's 8 KiB pool every ~30 RSA tokens.
 */
export interface ParsedJws extends Omit<ParsedToken, 'signature'> {
  readonly encodedSignature: string;
}

// Three base64url segments and nothing else: no padding, no whitespace, no other alphabet. An
// empty signature is let through here so that `alg: none` is refused by name in the header check.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
// RFC 7516 §7.1: the compact JWE (the encrypted key and the IV may be empty).
const COMPACT_JWE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Stage one of three (structure → signature → claims): checks the token's shape and decodes it.
 * The size cap applies before any decoding, so an oversized token costs nothing. Stateless: the
 * ingest reads whole tokens with it; the verifier uses a {@link TokenParser}, which gives the same
 * answers faster.
 */
export function parseToken(token: string, maxTokenBytes: number): ParsedToken {
  const firstDot = checkShape(token, maxTokenBytes);
  const header = Object.freeze(decodeJsonSegment(token.slice(0, firstDot), 'header', undefined));
  const { encodedSignature, ...parsed } = decodeRest(token, firstDot, header, undefined);
  return { ...parsed, signature: Buffer.from(encodedSignature, 'base64url') };
}

/**
 * {@link parseToken} for the verifier, which owns one: it decodes segments in one reused buffer
 * and remembers headers lately decoded, by their encoded segment. The tokens of one key share
 * their header byte for byte, so most tokens skip decoding it; an entry is what decoding exactly
 * that segment gave, so the memo changes no outcome. Bounded: once full, it starts over.
 */
export class TokenParser {
  private readonly decodedHeaders = new Map<string, Readonly<Record<string, unknown>>>();
  // Most tokens carry the header of the token before them: comparing with it is cheaper than hashing.
  private lastHeader: { readonly segment: string; readonly header: Readonly<Record<string, unknown>> } | undefined;
  // Decoded segments are read once, into a string, synchronously: one buffer serves every call.
  private readonly scratch = new ScratchBuffer(16 * 1024);

  /**
   * The same answer as {@link parseToken}, the signature still encoded; a header it returns is
   * frozen and may be the one it returned before.
   */
  parse(token: string, maxTokenBytes: number): ParsedJws {
    const firstDot = checkShape(token, maxTokenBytes);
    const header = this.decodeHeader(token.slice(0, firstDot));
    return decodeRest(token, firstDot, header, this.scratch);
  }

  private decodeHeader(segment: string): Readonly<Record<string, unknown>> {
    const last = this.lastHeader;
    if (last !== undefined && segment === last.segment) return last.header;
    let header = this.decodedHeaders.get(segment);
    if (header === undefined) {
      header = Object.freeze(decodeJsonSegment(segment, 'header', this.scratch));
      if (this.decodedHeaders.size >= DECODED_HEADERS_MAX) this.decodedHeaders.clear();
      this.decodedHeaders.set(segment, header);
    }
    this.lastHeader = { segment, header };
    return header;
  }
}

const DECODED_HEADERS_MAX = 32;

/** Refuses a token too large or not shaped as a compact JWS; returns the position of its first dot. */
function checkShape(token: string, maxTokenBytes: number): number {
  if (token.length > maxTokenBytes) {
    throw new TokenRejectedError('token_too_large', `token is ${token.length} bytes, more than ${maxTokenBytes}`, {
      actual: token.length,
      expected: maxTokenBytes,
    });
  }
  if (!COMPACT_JWS.test(token)) throw rejectShape(token);
  return token.indexOf('.');
}

/** The payload and signature of a token whose shape passed and whose header decoded. */
function decodeRest(
  token: string,
  firstDot: number,
  header: Readonly<Record<string, unknown>>,
  scratch: ScratchBuffer | undefined,
): ParsedJws {
  // Exactly two dots, so the second one found is the last: indexOf searches natively, where
  // lastIndexOf walked the whole signature character by character.
  const lastDot = token.indexOf('.', firstDot + 1);
  const payload = decodeJsonSegment(token.slice(firstDot + 1, lastDot), 'payload', scratch);
  const encodedSignature = token.slice(lastDot + 1);
  if (!isCanonicalBase64url(encodedSignature)) {
    throw new TokenRejectedError('malformed_token', 'signature is not canonical base64url');
  }
  return { header, payload, signingInput: token.slice(0, lastDot), encodedSignature };
}

function rejectShape(token: string): TokenRejectedError {
  const parts = token.split('.').length;
  // Five base64url segments, not any value with four dots (say, two tokens with a comma between).
  if (parts === 5 && COMPACT_JWE.test(token)) return new TokenRejectedError('unsupported_token', 'encrypted tokens (JWE) are not accepted');
  if (token.startsWith('{')) {
    return new TokenRejectedError('unsupported_token', 'JWS JSON serialization is not accepted; use the compact form');
  }
  return new TokenRejectedError('malformed_token', `token must be three base64url segments, got ${parts} part(s)`);
}

/** A segment's JSON object; `scratch` (the verifier's) saves a buffer per decode, whose bytes are read at once. */
function decodeJsonSegment(segment: string, name: 'header' | 'payload', scratch: ScratchBuffer | undefined): Record<string, unknown> {
  if (!isCanonicalBase64url(segment)) {
    throw new TokenRejectedError('malformed_token', `${name} is not canonical base64url`);
  }
  const bytes = scratch === undefined ? Buffer.from(segment, 'base64url') : scratch.bytesOf(segment, 'base64url');
  // RFC 7515 §5.2: the decoded octets must be a UTF-8 encoded JSON object. Claims are mostly
  // ASCII, which is UTF-8 and reads the same as latin1, the cheaper copy into a string.
  const text = isAscii(bytes) ? bytes.toString('latin1') : isUtf8(bytes) ? bytes.toString('utf8') : undefined;
  const json = text === undefined ? undefined : parseJsonObject(text);
  if (json === undefined) {
    throw new TokenRejectedError('malformed_token', `${name} is not a JSON object with unique member names`);
  }
  return json;
}

/**
 * Base64url without padding admits non-canonical spellings: a length of 1 mod 4, or unused low
 * bits set in the last character. Decoders accept both, so two different strings would carry the
 * same bytes; refusing them keeps one token, one spelling (RFC 7515 §2, RFC 4648 §3.5).
 */
function isCanonicalBase64url(segment: string): boolean {
  const remainder = segment.length % 4;
  if (remainder === 0) return true;
  if (remainder === 1) return false;
  const last = BASE64URL_ALPHABET.indexOf(segment[segment.length - 1]!);
  return (last & (remainder === 2 ? 0x0f : 0x03)) === 0;
}
