import { describe, expect, it } from 'vitest';
import { parseToken, TokenParser, type ParsedToken } from '../../../lambda/token/index.js';
import { TokenRejectedError, type RejectionReason } from '../../../lambda/shared/index.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const header = { alg: 'RS256', kid: 'k1', typ: 'at+jwt' };
const payload = { iss: 'https://issuer.example.com/', sub: 'alice', exp: 1_800_000_000 };
const signature = Buffer.from('not checked here').toString('base64url');
const token = (h: unknown = header, p: unknown = payload, s = signature) => `${b64(h)}.${b64(p)}.${s}`;

function reasonFor(parse: (token: string) => unknown, value: string): RejectionReason {
  try {
    parse(value);
  } catch (error) {
    if (error instanceof TokenRejectedError) return error.reason;
    throw error;
  }
  throw new Error('expected the token to be refused');
}

const parsers: [string, (value: string) => ParsedToken][] = [
  ['parseToken', (value) => parseToken(value, 8192)],
  // TokenParser leaves the signature encoded, for the verifier to decode: decoded here to compare.
  [
    'TokenParser',
    (value) => {
      const { encodedSignature, ...parsed } = new TokenParser().parse(value, 8192);
      return { ...parsed, signature: Buffer.from(encodedSignature, 'base64url') };
    },
  ],
];

describe.each(parsers)('%s', (_name, parse) => {
  it('splits a compact JWS into header, payload, signing input and signature bytes', () => {
    const value = token();

    const parsed = parse(value);

    expect(parsed.header).toEqual(header);
    expect(parsed.payload).toEqual(payload);
    expect(parsed.signingInput).toBe(value.slice(0, value.lastIndexOf('.')));
    expect(parsed.signature.toString()).toBe('not checked here');
  });

  it.each<[string, string, RejectionReason]>([
    ['two segments', `${b64(header)}.${b64(payload)}`, 'malformed_token'],
    ['padding', `${token()}=`, 'malformed_token'],
    // RFC 7515 §2 and RFC 4648 §3.5: a length of 1 mod 4 is no base64url spelling at all.
    ['a segment of length 1 mod 4', `${b64(header)}.${b64(payload)}x.${signature}`, 'malformed_token'],
    // Unused low bits set in the last character: a second spelling of the same bytes.
    ['a non-canonical last character', `${b64(header)}.${b64(payload)}.${signature.slice(0, -1)}${'B'}`, 'malformed_token'],
    ['a header that is not JSON', `${b64('nope')}.${b64(payload)}.${signature}`, 'malformed_token'],
    ['a payload with a repeated claim', `${b64(header)}.${b64('{"sub":"a","sub":"b"}')}.${signature}`, 'malformed_token'],
    [
      'a header that is not UTF-8',
      `${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${b64(payload)}.${signature}`,
      'malformed_token',
    ],
    // RFC 7516 §7.1: five segments are an encrypted token, refused by name.
    ['a compact JWE', 'eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVy.dGFn', 'unsupported_token'],
    // RFC 7515 §7.2: the JSON serialization is not a bearer token.
    ['the JWS JSON serialization', '{"payload":"e30","signatures":[]}', 'unsupported_token'],
  ])('refuses %s', (_name, value, reason) => {
    expect(reasonFor(parse, value)).toBe(reason);
  });

  it('refuses a token over the size limit before decoding it, with the sizes in the assertion', () => {
    const value = token(header, { ...payload, pad: 'x'.repeat(9000) });

    const error = (() => {
      try {
        parse(value);
      } catch (caught) {
        return caught as TokenRejectedError;
      }
    })();

    expect(error?.reason).toBe('token_too_large');
    expect(error?.failedAssertion).toEqual({ actual: value.length, expected: 8192 });
  });

  it('lets an empty signature through, so the verifier refuses alg none by name', () => {
    expect(parse(token({ alg: 'none' }, payload, '')).signature.length).toBe(0);
  });
});

describe('TokenParser', () => {
  it('answers each token by its own header, whatever it parsed before', () => {
    const parser = new TokenParser();
    const headers = Array.from({ length: 40 }, (_, i) => ({ ...header, kid: `k${i}` }));

    // More distinct headers than its memo holds, twice over, interleaved with a repeated one.
    for (let round = 0; round < 2; round++) {
      for (const h of headers) {
        expect(parser.parse(token(h), 8192).header).toEqual(h);
        expect(parser.parse(token(), 8192).header).toEqual(header);
      }
    }
  });

  it('hands out frozen headers, and the same object for the same header segment', () => {
    const parser = new TokenParser();

    const first = parser.parse(token(), 8192).header;
    const second = parser.parse(token(header, { ...payload, sub: 'bob' }), 8192).header;

    expect(Object.isFrozen(first)).toBe(true);
    expect(second).toBe(first);
  });

  it('does not remember a header it refused', () => {
    const parser = new TokenParser();
    const bad = `${b64('{"alg":"RS256","alg":"none"}')}.${b64(payload)}.${signature}`;

    expect(reasonFor((value) => parser.parse(value, 8192), bad)).toBe('malformed_token');
    expect(reasonFor((value) => parser.parse(value, 8192), bad)).toBe('malformed_token');
  });

  it('gives the payload of each token, not of the one before, although it reuses one buffer', () => {
    const parser = new TokenParser();
    const short = parser.parse(token(header, { sub: 'a' }), 8192).payload;
    const long = parser.parse(token(header, { sub: 'b'.repeat(500) }), 8192).payload;
    const shortAgain = parser.parse(token(header, { sub: 'c' }), 8192).payload;

    expect([short, long, shortAgain]).toEqual([{ sub: 'a' }, { sub: 'b'.repeat(500) }, { sub: 'c' }]);
  });
});
