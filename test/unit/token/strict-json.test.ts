import { describe, expect, it } from 'vitest';
import { parseJsonObject } from '../../../lambda/token/index.js';

describe('parseJsonObject', () => {
  it('returns the object of a JSON text whose member names are unique at every depth', () => {
    expect(parseJsonObject('{"alg":"RS256","nested":{"a":1,"b":[{"c":2},{"c":3}]}}')).toEqual({
      alg: 'RS256',
      nested: { a: 1, b: [{ c: 2 }, { c: 3 }] },
    });
  });

  it.each([
    ['a repeated name at the top', '{"alg":"RS256","alg":"none"}'],
    ['a repeated name in a nested object', '{"a":{"x":1,"x":2}}'],
    ['a repeated name inside an array element', '{"a":[{"x":1,"x":2}]}'],
    // RFC 8259 §7: "\u0061" is "a", so these are one name written twice.
    ['a name repeated through an escape', '{"a":1,"\\u0061":2}'],
    ['a repeated name with whitespace before the colon', '{"a" :1, "a"\n:2}'],
  ])('refuses %s (RFC 8725 §3.4: two parsers must not see two tokens)', (_name, text) => {
    expect(parseJsonObject(text)).toBeUndefined();
  });

  it.each([
    ['an array', '[{"a":1}]'],
    ['a string', '"{}"'],
    ['null', 'null'],
    ['a number', '42'],
    ['invalid JSON', '{"a":1'],
  ])('refuses %s: a JOSE header and a claim set are objects', (_name, text) => {
    expect(parseJsonObject(text)).toBeUndefined();
  });

  it('counts a quote escaped inside a string as part of the string, not a name', () => {
    expect(parseJsonObject('{"a":"x\\":1, \\"a\\":2","b":"\\\\"}')).toEqual({ a: 'x":1, "a":2', b: '\\' });
  });

  it('accepts equal values under different names and equal names in different objects', () => {
    expect(parseJsonObject('{"a":{"id":1},"b":{"id":1}}')).toEqual({ a: { id: 1 }, b: { id: 1 } });
  });
});
