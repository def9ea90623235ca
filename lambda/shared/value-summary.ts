/**
 * What a log line may say about a value it must not echo: attacker input (a token header before
 * its signature verified, a claim that failed a check, a credential of the wrong type) and ids
 * too long or too strange to print. A summary is small whatever the value: its type, its length
 * and, for a string, a short prefix cut to printable characters. Building one never throws and
 * never walks into the value (a 2,300-deep array costs what a flat one does).
 */
export type ValueSummary =
  | number
  | boolean
  | null
  | 'NaN'
  | 'Infinity'
  | '-Infinity'
  | { readonly type: 'string'; readonly length: number; readonly prefix: string }
  | { readonly type: 'array'; readonly length: number }
  | { readonly type: 'object'; readonly keys: number }
  | { readonly type: 'undefined' | 'bigint' | 'symbol' | 'function' };

/** Characters of a string a summary shows. */
export const SUMMARY_PREFIX_CHARACTERS = 24;

// Letters, marks, digits, punctuation, symbols and the space: what a log line may show as it is.
// Left out: C0/C1 controls, format characters (bidi overrides, zero-width joiners), line and
// paragraph separators, lone surrogates, private-use and unassigned code points.
const NOT_PRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/gu;
const ALL_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;

/** The bounded, typed summary of any value; finite numbers, booleans and null stand for themselves. */
export function summarizeValue(value: unknown): ValueSummary {
  switch (typeof value) {
    case 'string':
      return { type: 'string', length: value.length, prefix: printablePrefix(value) };
    case 'number':
      return Number.isFinite(value) ? value : (String(value) as 'NaN' | 'Infinity' | '-Infinity');
    case 'boolean':
      return value;
    case 'object':
      if (value === null) return null;
      if (Array.isArray(value)) return { type: 'array', length: value.length };
      try {
        return { type: 'object', keys: Object.keys(value).length };
      } catch {
        return { type: 'object', keys: -1 };
      }
    default:
      return { type: typeof value as 'undefined' | 'bigint' | 'symbol' | 'function' };
  }
}

/**
 * A string as a log line may show it: itself when short and printable (the common id, `alice`,
 * a UUID), otherwise its summary, with `storedId` (the id the revocation table keys it by) when
 * that differs and so helps find it. Undefined stays undefined.
 */
export function loggableString(value: string | undefined, storedId?: string): string | StringSummary | undefined {
  if (value === undefined) return undefined;
  if (value.length <= MAX_LOGGED_CHARACTERS && ALL_PRINTABLE.test(value)) return value;
  const summary = { type: 'string' as const, length: value.length, prefix: printablePrefix(value) };
  return storedId !== undefined && storedId !== value ? { ...summary, storedId } : summary;
}

/** A string's summary in a log line, with the id the revocation table keys it by when that differs. */
export interface StringSummary {
  readonly type: 'string';
  readonly length: number;
  readonly prefix: string;
  readonly storedId?: string;
}

/** Longest string a log line shows as it is. */
export const MAX_LOGGED_CHARACTERS = 128;

function printablePrefix(value: string): string {
  // A surrogate pair cut in half at the end is a lone surrogate, so it becomes '?' too.
  return value.slice(0, SUMMARY_PREFIX_CHARACTERS).replace(NOT_PRINTABLE, '?');
}
