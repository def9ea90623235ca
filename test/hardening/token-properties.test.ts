import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadAuthorizerConfig } from '../../lambda/config/index.js';
import { silentLog, TokenRejectedError } from '../../lambda/shared/index.js';
import { KeyResolver, parseJsonObject, parseToken, TokenVerifier, type VerifiedToken } from '../../lambda/token/index.js';
import { TestIssuer } from '../support/issuer.js';

/**
 * Property tests of the token parser and verifier: random strings and mutations of valid tokens
 * are either refused with TokenRejectedError or, only when byte-identical to a valid token,
 * accepted with that token's claims. Seeds are fixed so a failure reproduces.
 */

const SEED = 0x8725;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

let issuer: TestIssuer;
let verifier: TokenVerifier;
let nowMs: number;
/** Valid tokens, one per algorithm, with what verifying them returns. */
const originals = new Map<string, VerifiedToken>();

beforeAll(async () => {
  issuer = await TestIssuer.start();
  // A long cooldown: a mutated kid must never turn into a JWKS fetch in this test.
  const config = loadAuthorizerConfig({ ...issuer.env, JWKS_COOLDOWN_MS: '600000' });
  const keys = config.issuers.map((entry) => new KeyResolver(entry, config.jwks, silentLog));
  await Promise.all(keys.map((key) => key.prefetch()));
  verifier = new TokenVerifier(config, keys);
  nowMs = Date.now();
  for (const alg of ['RS256', 'ES256', 'PS256', 'EdDSA'] as const) {
    // A note with + and / in its standard base64 spelling, so re-encoding always changes the token.
    const token = await issuer.token({ note: '???>>>???>>>', sub: `sub-${alg}` }, { key: issuer.key(alg) });
    originals.set(token, await verifier.verify(token, nowMs));
  }
});
afterAll(() => issuer.stop());

type Outcome = { accepted: VerifiedToken } | { rejected: TokenRejectedError };

async function outcome(token: string): Promise<Outcome> {
  try {
    return { accepted: await verifier.verify(token, nowMs) };
  } catch (error) {
    // Anything else (a TypeError, a RangeError, a JWKS error) fails the property.
    if (error instanceof TokenRejectedError) return { rejected: error };
    throw error;
  }
}

/** The property: accepted only when identical to a valid token, and then with its claims. */
async function checkProperty(candidate: string): Promise<void> {
  const result = await outcome(candidate);
  if ('accepted' in result) {
    expect(originals.has(candidate), `accepted a token that is not one of the valid ones: ${candidate.slice(0, 80)}`).toBe(true);
    expect(result.accepted).toEqual(originals.get(candidate));
  }
}

type Mutation =
  | { op: 'replace'; at: number; char: string }
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; count: number }
  | { op: 'permute'; order: number[] }
  | { op: 'borrow'; segment: number; from: number }
  | { op: 'pad' }
  | { op: 'standard-base64' }
  | { op: 'truncate'; at: number }
  | { op: 'flip-bit'; segment: number; byte: number; bit: number }
  | { op: 'reformat-json'; segment: 0 | 1; indent: number }
  | { op: 'case'; at: number };

const interesting = fc.constantFrom('.', '=', '+', '/', ' ', '\t', '\n', '\u0000', 'é', '😀', '%', '"', '{', '..', 'A', 'a', '-', '_');
const char = fc.oneof(fc.constantFrom(...ALPHABET.split('')), interesting);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), char }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      at: fc.nat(),
      text: fc.oneof(char, fc.string({ minLength: 1, maxLength: 4 })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('permute' as const),
      order: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 5 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('borrow' as const), segment: fc.integer({ min: 0, max: 2 }), from: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'pad' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'standard-base64' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('flip-bit' as const),
      segment: fc.integer({ min: 0, max: 2 }),
      byte: fc.nat(),
      bit: fc.integer({ min: 0, max: 7 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('reformat-json' as const),
      segment: fc.constantFrom(0 as const, 1 as const),
      indent: fc.integer({ min: 0, max: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('case' as const), at: fc.nat() }) },
);

function mutate(token: string, step: Mutation, donors: readonly string[]): string {
  const segments = token.split('.');
  const at = (n: number) => (token.length === 0 ? 0 : n % (token.length + 1));
  switch (step.op) {
    case 'replace':
      return token.slice(0, at(step.at)) + step.char + token.slice(at(step.at) + 1);
    case 'insert':
      return token.slice(0, at(step.at)) + step.text + token.slice(at(step.at));
    case 'delete':
      return token.slice(0, at(step.at)) + token.slice(at(step.at) + step.count);
    case 'permute':
      return step.order.map((index) => segments[index] ?? '').join('.');
    case 'borrow': {
      const donor = donors[step.from % donors.length]!.split('.');
      const copy = [...segments];
      copy[step.segment] = donor[step.segment] ?? '';
      return copy.join('.');
    }
    case 'pad':
      return segments.map((segment) => segment + '='.repeat((4 - (segment.length % 4)) % 4)).join('.');
    case 'standard-base64':
      return token.replaceAll('-', '+').replaceAll('_', '/');
    case 'truncate':
      return token.slice(0, at(step.at));
    case 'flip-bit': {
      const segment = segments[step.segment];
      if (segment === undefined || segment === '') return token;
      const bytes = Buffer.from(segment, 'base64url');
      if (bytes.length === 0) return token;
      bytes[step.byte % bytes.length]! ^= 1 << step.bit;
      const copy = [...segments];
      copy[step.segment] = bytes.toString('base64url');
      return copy.join('.');
    }
    case 'reformat-json': {
      const segment = segments[step.segment];
      try {
        const value = JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as unknown;
        const copy = [...segments];
        copy[step.segment] = Buffer.from(JSON.stringify(value, null, step.indent)).toString('base64url');
        return copy.join('.');
      } catch {
        return token;
      }
    }
    case 'case': {
      const i = at(step.at);
      const c = token[i];
      if (c === undefined) return token;
      const swapped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
      return token.slice(0, i) + swapped + token.slice(i + 1);
    }
  }
}

describe('TokenVerifier under random and mutated input', () => {
  it('accepts each valid token (the control)', async () => {
    for (const [token, verified] of originals) expect(await verifier.verify(token, nowMs)).toEqual(verified);
  });

  it('refuses every mutation of a valid token with TokenRejectedError, unless the mutation gave back a valid token', async () => {
    const tokens = [...originals.keys()];
    let changed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: tokens.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (index, steps) => {
          const candidate = steps.reduce((token, step) => mutate(token, step, tokens), tokens[index]!);
          if (!originals.has(candidate)) changed++;
          await checkProperty(candidate);
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
    // The mutations must actually produce other tokens, or the property proves nothing.
    expect(changed).toBeGreaterThan(1600);
  });

  it('refuses arbitrary strings, including ones shaped like compact JWS', async () => {
    const b64 = fc.string({ unit: fc.constantFrom(...ALPHABET.split('')), maxLength: 120 });
    const shaped = fc.tuple(b64, b64, b64).map(([a, b, c]) => `${a}.${b}.${c}`);
    const jsonSegments = fc
      .tuple(fc.json(), fc.json(), b64)
      .map(
        ([header, payload, signature]) =>
          `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}.${signature}`,
      );
    const headerLike = fc
      .tuple(
        fc.record(
          {
            alg: fc.constantFrom('RS256', 'ES256', 'PS256', 'EdDSA', 'none', 'HS256', 'RS384'),
            kid: fc.oneof(fc.string(), fc.constantFrom(...issuer.keys.map((key) => key.kid))),
            typ: fc.oneof(fc.constant(undefined), fc.string()),
            crit: fc.oneof(fc.constant(undefined), fc.anything()),
          },
          { requiredKeys: ['alg'] },
        ),
        fc.record({
          iss: fc.oneof(fc.constant(issuer.issuer), fc.anything()),
          aud: fc.oneof(fc.constant(issuer.audience), fc.anything()),
          exp: fc.oneof(fc.double(), fc.integer(), fc.anything()),
          iat: fc.anything(),
          nbf: fc.anything(),
          sub: fc.anything(),
          jti: fc.anything(),
        }),
        b64,
      )
      .map(
        ([header, payload, signature]) =>
          `${Buffer.from(JSON.stringify(header) ?? 'null').toString('base64url')}.${Buffer.from(JSON.stringify(payload) ?? 'null').toString('base64url')}.${signature}`,
      );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), shaped, jsonSegments, headerLike), async (candidate) => {
        await checkProperty(candidate);
      }),
      { seed: SEED + 1, numRuns: 2000 },
    );
  });

  it('parseToken answers every string with a ParsedToken or TokenRejectedError, never another error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.string({ unit: fc.constantFrom(...`${ALPHABET}.=+/`.split('')), maxLength: 300 }),
        ),
        (candidate) => {
          try {
            const parsed = parseToken(candidate, 8192);
            // Whatever parses is three canonical segments whose first two are JSON objects.
            expect(candidate.split('.')).toHaveLength(3);
            expect(typeof parsed.header).toBe('object');
            expect(typeof parsed.payload).toBe('object');
            expect(Buffer.from(parsed.signature).toString('base64url')).toBe(candidate.split('.')[2]);
          } catch (error) {
            if (!(error instanceof TokenRejectedError)) throw error;
          }
        },
      ),
      { seed: SEED + 2, numRuns: 5000 },
    );
  });
});

/** A JSON text built member by member, so whether it repeats a name is known without parsing it. */
interface Built {
  readonly text: string;
  readonly duplicate: boolean;
}

/** Spellings of a member name: plain, or with one character escaped as \\uXXXX. */
function spell(name: string, escape: number | undefined): string {
  if (escape === undefined || name.length === 0) return JSON.stringify(name);
  const i = escape % name.length;
  const units = [...name].map((unit, index) =>
    index === i ? `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}` : JSON.stringify(unit).slice(1, -1),
  );
  return `"${units.join('')}"`;
}

const whitespace = fc.constantFrom('', ' ', '\n\t', '\r\n ');
const names = fc.constantFrom('a', 'b', 'alg', 'sub', '', '"', '\\', '}', '{"', 'é', 'a"b', '__proto__', 'constructor', ':', '\\"');
const built: fc.Arbitrary<Built> = fc.letrec<{ value: Built; object: Built; array: Built }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.json().map((text) => ({ text, duplicate: false })),
    tie('object'),
    tie('array'),
  ),
  object: fc
    .array(fc.tuple(names, fc.option(fc.nat(), { nil: undefined }), tie('value'), whitespace, whitespace), { maxLength: 5 })
    .map((members) => {
      const seen = new Set<string>();
      let duplicate = false;
      for (const [name, , value] of members) {
        if (seen.has(name)) duplicate = true;
        seen.add(name);
        duplicate ||= value.duplicate;
      }
      const text = `{${members.map(([name, escape, value, before, after]) => `${before}${spell(name, escape)}${after}:${before}${value.text}${after}`).join(',')}}`;
      return { text, duplicate };
    }),
  array: fc.array(tie('value'), { maxLength: 4 }).map((values) => ({
    text: `[${values.map((value) => value.text).join(',')}]`,
    duplicate: values.some((value) => value.duplicate),
  })),
})).object;

describe('parseJsonObject (strict JSON for JOSE headers and claim sets)', () => {
  it('refuses exactly the objects that repeat a member name at any depth, however the name is spelled', () => {
    fc.assert(
      fc.property(built, ({ text, duplicate }) => {
        const parsed = parseJsonObject(text);
        expect(parsed === undefined).toBe(duplicate);
        if (parsed !== undefined) expect(parsed).toEqual(JSON.parse(text));
      }),
      { seed: SEED + 3, numRuns: 2000 },
    );
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.json(), fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ':', ',', 'a', '1', ' ') })),
        (text) => {
          const parsed = parseJsonObject(text);
          if (parsed !== undefined) expect(typeof parsed).toBe('object');
        },
      ),
      { seed: SEED + 4, numRuns: 5000 },
    );
  });
});
