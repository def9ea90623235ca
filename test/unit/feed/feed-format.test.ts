import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFeedPage,
  encodeFeedPage,
  FEED_PAGE_MAX_BYTES,
  FEED_PAGE_MIN_BYTES,
  normaliseForFeed,
  splitIntoPages,
  type FeedPageProblemReason,
} from '../../../lambda/feed/index.js';
import {
  ANY_ISSUER,
  MAX_ISSUER_BYTES,
  MAX_TTL_EPOCH_SECONDS,
  MIN_CUTOFF_EPOCH_MS,
  storedId,
  type Revocation,
} from '../../../lambda/revocation/index.js';

const ISS = 'https://issuer.example.com/tenant#1';
const NOW_MS = 1_800_000_000_000;
const NOW_S = NOW_MS / 1000;

const jti = (id: string, issuer = ISS): Revocation => ({ kind: 'jti', issuer, jti: id, expiresAtEpochSeconds: NOW_S + 3600 });
const cutoff = (kind: 'subject' | 'client' | 'session', id: string, issuer = ISS): Revocation => ({
  kind,
  issuer,
  id,
  revokedAtEpochMs: NOW_MS,
  expiresAtEpochSeconds: NOW_S + 86_460,
});

function refusal(entries: unknown): FeedPageProblemReason | undefined {
  const page = decodeFeedPage(entries);
  return page.ok ? undefined : page.problem.reason;
}

describe('encodeFeedPage and decodeFeedPage', () => {
  it('round-trips every kind, for an issuer and for any issuer, issuers written once', () => {
    const revocations = [
      jti('token-1'),
      cutoff('subject', 'alice'),
      cutoff('client', 'app-7'),
      cutoff('session', 'sid-1'),
      jti('token-2', ANY_ISSUER),
    ];

    const entries = encodeFeedPage(revocations);

    expect(decodeFeedPage(entries)).toEqual({ ok: true, revocations });
    expect(entries.split(JSON.stringify(ISS).slice(1, -1)).length - 1).toBe(1);
    expect(entries.startsWith('{"v":1,"i":[')).toBe(true);
  });

  it('spends 56 bytes on a UUID jti entry of an issuer already on the page', () => {
    const one = encodeFeedPage([jti(randomUUID())]);
    const hundred = encodeFeedPage(Array.from({ length: 100 }, () => jti(randomUUID())));

    const perEntry = (Buffer.byteLength(hundred) - Buffer.byteLength(one)) / 99;

    expect(perEntry).toBe(56);
    // A page of 100 UUID jtis: about 5.6 KB (1.5 eventually consistent read units).
    expect(Buffer.byteLength(hundred)).toBeLessThan(5700);
  });

  it('round-trips any storable revocation (property)', () => {
    const issuer = fc.oneof(
      fc.constant(ANY_ISSUER),
      fc.webUrl(),
      fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== ''),
    );
    const id = fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).map(storedId);
    const expires = fc.integer({ min: 1, max: 9_999_999_999 });
    const revocation: fc.Arbitrary<Revocation> = fc.oneof(
      fc.record({ kind: fc.constant('jti' as const), issuer, jti: id, expiresAtEpochSeconds: expires }),
      fc.record({
        kind: fc.constantFrom('subject' as const, 'client' as const, 'session' as const),
        issuer,
        id,
        revokedAtEpochMs: fc.integer({ min: 100_000_000_000, max: Number.MAX_SAFE_INTEGER }),
        expiresAtEpochSeconds: expires,
      }),
    );
    fc.assert(
      fc.property(
        fc
          .array(revocation, { maxLength: 30 })
          .filter((list) => list.every((r) => !/[\u0000-\u001f\u007f-\u009f]|\p{Surrogate}/u.test(r.issuer))),
        (revocations) => {
          expect(decodeFeedPage(encodeFeedPage(revocations))).toEqual({ ok: true, revocations });
          const pages = splitIntoPages(revocations, FEED_PAGE_MIN_BYTES);
          const decoded = pages.flatMap((page) => {
            const result = decodeFeedPage(page);
            return result.ok ? result.revocations : [];
          });
          expect(decoded).toEqual(revocations);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses, at encode time, a revocation the table could not hold', () => {
    expect(() => encodeFeedPage([{ kind: 'jti', issuer: ISS, jti: 'x', expiresAtEpochSeconds: NOW_MS }])).toThrow(RangeError);
    expect(() => encodeFeedPage([{ kind: 'jti', issuer: ISS, jti: 'a\u0000b', expiresAtEpochSeconds: NOW_S }])).toThrow(/stored id/);
  });
});

describe('decodeFeedPage refuses hostile and malformed entries, each with its reason', () => {
  const page = (issuers: unknown[], entries: unknown[]) => JSON.stringify({ v: 1, i: issuers, e: entries });
  const cases: [string, unknown, FeedPageProblemReason][] = [
    ['a number instead of a string', 42, 'shape'],
    ['no attribute at all', undefined, 'shape'],
    ['not a feed page', '[1,2,3]', 'shape'],
    ['another version', '{"v":2,"i":[],"e":[]}', 'version'],
    ['a version written as a string', '{"v":"1","i":[],"e":[]}', 'shape'],
    ['truncated JSON', '{"v":1,"i":["a"],"e":[[0,0,"x",1800003600]', 'not_json'],
    ['an extra member', '{"v":1,"i":[],"e":[],"x":1}', 'shape'],
    ['entries that are not an array', '{"v":1,"i":[],"e":{}}', 'shape'],
    ['an issuer that is not a string', page([7], []), 'issuer'],
    ['a blank issuer', page([' '], []), 'issuer'],
    ['an issuer with a control character', page(['https://a\u0007'], []), 'issuer'],
    ['an issuer over the byte limit', page(['x'.repeat(MAX_ISSUER_BYTES + 1)], []), 'issuer'],
    ['an issuer listed twice', page([ISS, ISS], []), 'issuer'],
    ['an issuer index past the list', page([ISS], [[0, 1, 'x', NOW_S]]), 'issuer_index'],
    ['a negative issuer index', page([ISS], [[0, -1, 'x', NOW_S]]), 'issuer_index'],
    ['a fractional issuer index', page([ISS], [[0, 0.5, 'x', NOW_S]]), 'issuer_index'],
    ['an unknown kind code', page([ISS], [[4, 0, 'x', NOW_S]]), 'kind'],
    ['a kind code as a string', page([ISS], [['0', 0, 'x', NOW_S]]), 'kind'],
    ['an entry that is an object', page([ISS], [{ k: 0 }]), 'entry_shape'],
    ['a jti entry with a revocation time', page([ISS], [[0, 0, 'x', NOW_MS, NOW_S]]), 'entry_shape'],
    ['a cut-off entry without its time', page([ISS], [[1, 0, 'alice', NOW_S]]), 'entry_shape'],
    ['an empty id', page([ISS], [[0, 0, '', NOW_S]]), 'id'],
    ['an id that is a number', page([ISS], [[0, 0, 12, NOW_S]]), 'id'],
    ['an id storedId would have hashed', page([ISS], [[0, 0, 'a\u0000b', NOW_S]]), 'id'],
    ['a malformed hash id', page([ISS], [[0, 0, '~sha256:short', NOW_S]]), 'id'],
    ['an id over the clear limit', page([ISS], [[0, 0, 'x'.repeat(1025), NOW_S]]), 'id'],
    ['an expiry in milliseconds', page([ISS], [[0, 0, 'x', NOW_MS]]), 'expires_at'],
    ['a fractional expiry', page([ISS], [[0, 0, 'x', NOW_S + 0.5]]), 'expires_at'],
    ['an expiry as a string', page([ISS], [[0, 0, 'x', String(NOW_S)]]), 'expires_at'],
    ['a negative expiry', page([ISS], [[0, 0, 'x', -1]]), 'expires_at'],
    ['a cut-off in seconds', page([ISS], [[1, 0, 'alice', NOW_S, NOW_S + 100]]), 'revoked_at'],
    ['a cut-off that is null', page([ISS], [[2, 0, 'app', null, NOW_S + 100]]), 'revoked_at'],
    ['entries over the size bound', `{"v":1,"i":[],"e":[${'0,'.repeat(200_001)}0]}`, 'too_large'],
  ];

  it.each(cases)('refuses %s', (_name, entries, reason) => {
    expect(refusal(entries)).toBe(reason);
  });

  it('names the offending entry', () => {
    const result = decodeFeedPage(
      page(
        [ISS],
        [
          [0, 0, 'ok', NOW_S],
          [0, 0, 'bad', NOW_MS],
        ],
      ),
    );

    expect(result).toMatchObject({ ok: false, problem: { reason: 'expires_at', entry: 1 } });
  });
});

describe('splitIntoPages', () => {
  it('writes no page for no revocations, and one page for a few', () => {
    expect(splitIntoPages([])).toEqual([]);
    expect(splitIntoPages([jti('a'), jti('b')])).toHaveLength(1);
  });

  it('keeps every page within the bound, in order, nothing lost', () => {
    const revocations = Array.from({ length: 5000 }, (_, i) =>
      i % 7 === 0
        ? cutoff('subject', `user-${i}`, `https://issuer-${i % 13}.example.com`)
        : jti(randomUUID(), `https://issuer-${i % 13}.example.com`),
    );

    const pages = splitIntoPages(revocations, 65_536);

    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(Buffer.byteLength(page)).toBeLessThanOrEqual(65_536);
    // Full pages: each but the last leaves less room than one more entry needs.
    for (const page of pages.slice(0, -1)) expect(Buffer.byteLength(page)).toBeGreaterThan(65_536 - 200);
    expect(pages.flatMap((page) => (decodeFeedPage(page) as { revocations: Revocation[] }).revocations)).toEqual(revocations);
  });

  it('fits the longest issuer and id, escaped, in the smallest page', () => {
    // The most `"` an issuer may hold (each is 3 bytes %-encoded in the key), and 1,024-byte ids of characters JSON escapes.
    const issuer = `https://${'"'.repeat(333)}`;
    const revocations = [jti('\\'.repeat(1024), issuer), jti('"'.repeat(1024), issuer)];

    const pages = splitIntoPages(revocations, FEED_PAGE_MIN_BYTES);

    for (const page of pages) expect(Buffer.byteLength(page)).toBeLessThanOrEqual(FEED_PAGE_MIN_BYTES);
    expect(pages.flatMap((page) => (decodeFeedPage(page) as { revocations: Revocation[] }).revocations)).toEqual(revocations);
  });

  it('holds about 4,680 UUID jtis in a default page', () => {
    const pages = splitIntoPages(Array.from({ length: 10_000 }, () => jti(randomUUID())));

    const first = (decodeFeedPage(pages[0]) as { revocations: Revocation[] }).revocations.length;
    // 20 bytes of frame, the issuer once, 56 per entry with its comma (the first has none).
    expect(first).toBe(Math.floor((FEED_PAGE_MAX_BYTES - 19 - JSON.stringify(ISS).length) / 56));
    expect(pages).toHaveLength(3);
  });

  it('throws on a bound too small for the longest entry', () => {
    expect(() => splitIntoPages([jti('a')], 1000)).toThrow(RangeError);
  });
});

describe('normaliseForFeed: what the change index returns, made publishable with an equal or stronger effect', () => {
  /** A cut-off or session revocation with other times, as the change index may return them. */
  const withTimes = (revocation: Revocation, times: { revokedAtEpochMs?: number; expiresAtEpochSeconds?: number }) =>
    ({ ...revocation, ...times }) as Revocation;

  /** The normalised revocation, after checking it encodes and decodes as it is. */
  function normalised(revocation: Revocation): Revocation {
    const result = normaliseForFeed(revocation);
    if (!result.ok) throw new Error(`refused: ${result.problem.message}`);
    expect(result.changed).toBe(true);
    expect(decodeFeedPage(encodeFeedPage([result.revocation]))).toEqual({ ok: true, revocations: [result.revocation] });
    return result.revocation;
  }

  it('hands on a publishable revocation as it is, unchanged', () => {
    const revocation = cutoff('subject', 'alice');
    expect(normaliseForFeed(revocation)).toEqual({ ok: true, revocation, changed: false });
    expect((normaliseForFeed(revocation) as { revocation: Revocation }).revocation).toBe(revocation);
  });

  it('gives a session read without revokedAt (0) the smallest revocation time, its expiry kept', () => {
    expect(normalised(withTimes(cutoff('session', 'sid-1'), { revokedAtEpochMs: 0 }))).toEqual({
      ...cutoff('session', 'sid-1'),
      revokedAtEpochMs: MIN_CUTOFF_EPOCH_MS,
    });
  });

  it('rounds a fractional session revocation time up', () => {
    expect(normalised(withTimes(cutoff('session', 'sid-1'), { revokedAtEpochMs: NOW_MS + 0.5 }))).toMatchObject({
      revokedAtEpochMs: NOW_MS + 1,
    });
  });

  it('rounds a fractional expiry up, for a jti and a cut-off', () => {
    expect(normalised({ ...jti('t-1'), expiresAtEpochSeconds: NOW_S + 0.25 })).toEqual({ ...jti('t-1'), expiresAtEpochSeconds: NOW_S + 1 });
    expect(normalised({ ...cutoff('client', 'app'), expiresAtEpochSeconds: NOW_S + 0.5 })).toMatchObject({
      expiresAtEpochSeconds: NOW_S + 1,
    });
  });

  it('caps an expiry in milliseconds (or infinite) at the largest TTL allowed', () => {
    expect(normalised({ ...jti('t-1'), expiresAtEpochSeconds: NOW_MS })).toMatchObject({
      expiresAtEpochSeconds: MAX_TTL_EPOCH_SECONDS - 1,
    });
    expect(normalised({ ...jti('t-1'), expiresAtEpochSeconds: MAX_TTL_EPOCH_SECONDS })).toMatchObject({
      expiresAtEpochSeconds: MAX_TTL_EPOCH_SECONDS - 1,
    });
    expect(normalised({ ...cutoff('session', 's'), expiresAtEpochSeconds: Infinity })).toMatchObject({
      expiresAtEpochSeconds: MAX_TTL_EPOCH_SECONDS - 1,
    });
  });

  it('raises a cut-off below the smallest (seconds by mistake) to it, and rounds a fractional one up', () => {
    expect(normalised(withTimes(cutoff('subject', 'alice'), { revokedAtEpochMs: NOW_S }))).toEqual({
      ...cutoff('subject', 'alice'),
      revokedAtEpochMs: MIN_CUTOFF_EPOCH_MS,
    });
    expect(normalised(withTimes(cutoff('client', 'app'), { revokedAtEpochMs: NOW_MS + 0.1 }))).toMatchObject({
      revokedAtEpochMs: NOW_MS + 1,
    });
    expect(normalised(withTimes(cutoff('client', 'app'), { revokedAtEpochMs: 1e20 }))).toMatchObject({
      revokedAtEpochMs: Number.MAX_SAFE_INTEGER,
    });
  });

  it('refuses, with the field, what no change of time makes publishable', () => {
    const field = (revocation: Revocation) => {
      const result = normaliseForFeed(revocation);
      return result.ok ? undefined : result.problem.field;
    };
    expect(field(jti('t-1', 'https://issuer.example.com/\u0001'))).toBe('issuer');
    expect(field(jti('bob\u0085'))).toBe('id');
    expect(field({ ...jti('t-1'), expiresAtEpochSeconds: 0 })).toBe('expiresAtEpochSeconds');
    expect(field({ ...jti('t-1'), expiresAtEpochSeconds: NaN })).toBe('expiresAtEpochSeconds');
    expect(field(withTimes(cutoff('subject', 'alice'), { revokedAtEpochMs: NaN }))).toBe('revokedAtEpochMs');
    expect(field({ ...jti('t-1'), kind: 'device' } as unknown as Revocation)).toBe('kind');
  });

  it('publishes, or refuses, any times: never an earlier expiry or cut-off (property)', () => {
    const times = fc.oneof(fc.double({ noNaN: true }), fc.integer(), fc.constantFrom(0, NOW_S, NOW_MS, MAX_TTL_EPOCH_SECONDS, 1e20));
    fc.assert(
      fc.property(fc.constantFrom('jti', 'subject', 'client', 'session'), times, times, (kind, expires, t) => {
        const revocation = (
          kind === 'jti'
            ? { ...jti('t'), expiresAtEpochSeconds: expires }
            : withTimes(cutoff(kind, 'x'), { revokedAtEpochMs: t, expiresAtEpochSeconds: expires })
        ) as Revocation;
        const result = normaliseForFeed(revocation);
        if (!result.ok) return expires <= 0 || Number.isNaN(expires);
        expect(decodeFeedPage(encodeFeedPage([result.revocation])).ok).toBe(true);
        expect(result.revocation.expiresAtEpochSeconds).toBeGreaterThanOrEqual(Math.min(expires, MAX_TTL_EPOCH_SECONDS - 1));
        if (result.revocation.kind === 'subject' || result.revocation.kind === 'client')
          expect(result.revocation.revokedAtEpochMs).toBeGreaterThanOrEqual(Math.min(t, Number.MAX_SAFE_INTEGER));
        return true;
      }),
    );
  });
});
