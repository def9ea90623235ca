import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loggableString, summarizeValue, SUMMARY_PREFIX_CHARACTERS } from '../../../lambda/shared/index.js';

describe('summarizeValue', () => {
  it('describes a value by type and size, never holding it', () => {
    expect(summarizeValue('HS256')).toEqual({ type: 'string', length: 5, prefix: 'HS256' });
    expect(summarizeValue(['a', 'b'])).toEqual({ type: 'array', length: 2 });
    expect(summarizeValue({ a: 1, b: { c: 2 } })).toEqual({ type: 'object', keys: 2 });
    expect(summarizeValue(42)).toBe(42);
    expect(summarizeValue(true)).toBe(true);
    expect(summarizeValue(null)).toBeNull();
    expect(summarizeValue(undefined)).toEqual({ type: 'undefined' });
  });

  it('costs the same for a 2,300-deep array as for a flat one, and stays small', () => {
    let deep: unknown = [];
    for (let depth = 0; depth < 2300; depth++) deep = [deep];

    const summary = summarizeValue(deep);

    expect(summary).toEqual({ type: 'array', length: 1 });
  });

  it('keeps only a short printable prefix of a string: no controls, bidi overrides or lone surrogates', () => {
    const summary = summarizeValue('a\u0000b\u202ec\ud800' + 'x'.repeat(5000)) as { prefix: string; length: number };

    expect(summary.length).toBe(5006);
    expect(summary.prefix).toBe('a?b?c?' + 'x'.repeat(SUMMARY_PREFIX_CHARACTERS - 6));
  });

  it('serializes to a bounded JSON text whatever the value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(summarizeValue(value));
        expect(text.length).toBeLessThanOrEqual(200);
        expect(/\p{Surrogate}/u.test(text)).toBe(false);
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});

describe('loggableString', () => {
  it('shows a short printable id as it is', () => {
    expect(loggableString('alice')).toBe('alice');
    expect(loggableString('José García')).toBe('José García');
    expect(loggableString(undefined)).toBeUndefined();
  });

  it('summarizes a long or unprintable id, naming its stored id when that differs', () => {
    expect(loggableString('bob\u0085', '~sha256:abc')).toEqual({ type: 'string', length: 4, prefix: 'bob?', storedId: '~sha256:abc' });
    expect(loggableString('u'.repeat(3000), '~sha256:def')).toMatchObject({ type: 'string', length: 3000, storedId: '~sha256:def' });
    expect(loggableString('u'.repeat(500), 'u'.repeat(500))).toEqual({ type: 'string', length: 500, prefix: 'u'.repeat(24) });
  });
});
