/**
 * JSON.parse for JOSE headers and JWT claim sets, refusing what JSON.parse quietly accepts.
 *
 * RFC 7515 §5.2 and RFC 7519 §7.2 let a parser either reject duplicate member names or keep the
 * last one; RFC 8725 §3.4 asks for the stricter reading, since two parsers that pick different
 * duplicates see two different tokens. So: an object at the top, no duplicate names at any depth.
 */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return countMemberNames(text) === countMembers(value) ? (value as Record<string, unknown>) : undefined;
}

/*
 * Why counting finds duplicates: JSON.parse turns every object of the text into one object whose
 * own keys are its distinct (decoded) member names, and keeps, of a repeated name, only the last
 * member's value. So the parsed members number exactly the names written in the text when no
 * object repeats a name, and fewer when one does: the repeated name collapses, and the objects
 * inside the values it dropped vanish with their names. "a" and "\u0061" decode to one key, so
 * they count as a repeat. Counting costs two scans and no allocation per name, where a set of
 * names per object cost more than JSON.parse itself on every token (bench/, docs/performance.md).
 */

const BACKSLASH = 0x5c;
const COLON = 0x3a;

/** Member names in text already known to be valid JSON: the strings followed by a colon. */
function countMemberNames(text: string): number {
  let names = 0;
  let open = text.indexOf('"');
  while (open !== -1) {
    let close = text.indexOf('"', open + 1);
    while (isEscaped(text, close)) close = text.indexOf('"', close + 1);
    let next = close + 1;
    let c = text.charCodeAt(next);
    // JSON whitespace (RFC 8259 §2) may separate a name from its colon.
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = text.charCodeAt(++next);
    if (c === COLON) names++;
    open = text.indexOf('"', next);
  }
  return names;
}

/** A quote preceded by an odd number of backslashes is part of the string, not its end. */
function isEscaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let i = quote - 1; text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
  return (backslashes & 1) === 1;
}

/** Own keys of every object in a parsed value, at any depth. Iterative: nesting depth costs no stack. */
function countMembers(root: object): number {
  let members = 0;
  const pending: object[] = [root];
  for (let value = pending.pop(); value !== undefined; value = pending.pop()) {
    // A parsed object's members are all own, enumerable and string-keyed: Object.values holds
    // exactly them, and reads V8's enumeration cache where for-in with hasOwn walked key by key.
    const items: readonly unknown[] = Array.isArray(value) ? value : Object.values(value);
    if (items !== value) members += items.length;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (typeof item === 'object' && item !== null) pending.push(item);
    }
  }
  return members;
}
