import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  coalesceRevocations,
  MAX_MESSAGE_BYTES,
  type MessageAttributes,
  type MessageRules,
  parseRevocationMessage,
} from '../../../lambda/messages/index.js';
import { revocationId, storedId } from '../../../lambda/revocation/index.js';
import { InvalidMessageError } from '../../../lambda/shared/index.js';
import { bodyOf, messageCorpus as corpus, type CorpusEntry } from '../../fixtures/messages/corpus.js';

const rules: MessageRules = {
  nowMs: corpus.nowMs,
  clockToleranceSeconds: corpus.clockToleranceSeconds,
  maxTokenLifetimeSeconds: corpus.maxTokenLifetimeSeconds,
};

function refusal(body: string, attributes: MessageAttributes = {}, at: MessageRules = rules): InvalidMessageError {
  try {
    parseRevocationMessage(body, attributes, at);
  } catch (error) {
    if (error instanceof InvalidMessageError) return error;
    throw error;
  }
  throw new Error('expected the message to be refused, it was accepted');
}

describe('parseRevocationMessage', () => {
  it.each(corpus.valid.map((entry) => [entry.name, entry] as const))('accepts %s', (_name, entry) => {
    // Prepare
    const body = bodyOf(entry);

    // Act
    const revocations = parseRevocationMessage(body, entry.attributes, rules);

    // Assess
    expect(revocations).toEqual(entry.expect);
  });

  it.each(corpus.invalid.map((entry) => [entry.name, entry] as const))('refuses %s', (_name, entry) => {
    // Prepare
    const body = bodyOf(entry);

    // Act
    const error = refusal(body, entry.attributes);

    // Assess
    expect({ code: error.code, reason: error.reason, path: error.path ?? '' }).toEqual({
      code: 'ERR_INVALID_MESSAGE',
      reason: entry.reason,
      path: entry.path,
    });
  });

  it('refuses a message larger than SNS can deliver before reading it', () => {
    // Prepare
    const entries = Array.from({ length: 6000 }, (_, i) => ({ type: 'jti', jti: `jti-${i}-${'x'.repeat(20)}` }));
    const body = JSON.stringify({ revocations: entries });
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_MESSAGE_BYTES);

    // Act
    const error = refusal(body);

    // Assess
    expect(error.reason).toBe('too_large');
  });

  it('accepts a batch of 2,000 revocations that fits in one SNS message', () => {
    // Prepare
    const entries = Array.from({ length: 2000 }, (_, i) => ({ type: 'jti', jti: `9b2f-${i}`, exp: 1735693200 }));
    const body = JSON.stringify({ version: 1, revocations: entries });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);

    // Act
    const revocations = parseRevocationMessage(body, {}, rules);

    // Assess
    expect(revocations).toHaveLength(2000);
    expect(revocations[1999]).toEqual({ kind: 'jti', issuer: '*', jti: '9b2f-1999', expiresAtEpochSeconds: 1735693260 });
  });

  it('refuses a whole token whose unverified iss claims every issuer ("*")', () => {
    // Prepare: anyone can put "*" in an unsigned payload; it must not widen the revocation.
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${b64({ alg: 'RS256' })}.${b64({ iss: '*', jti: 'x-1', exp: Math.floor(rules.nowMs / 1000) + 600 })}.c2lnbmF0dXJl`;

    // Act
    const error = refusal(JSON.stringify({ type: 'token', token }));

    // Assess
    expect(error).toMatchObject({ reason: 'invalid_token', path: 'token.iss' });
  });

  it('never repeats a refused token in its error message', () => {
    // Prepare
    const tokens = corpus.invalid
      .filter((entry) => entry.message !== undefined && JSON.stringify(entry.message).includes('eyJ'))
      .map((entry) => ({ entry, segments: JSON.stringify(entry.message).match(/eyJ[A-Za-z0-9_-]{8,}/g) ?? [] }));
    expect(tokens.length).toBeGreaterThan(3);

    for (const { entry, segments } of tokens) {
      // Act
      const error = refusal(bodyOf(entry), entry.attributes);

      // Assess
      for (const segment of segments) expect(error.message).not.toContain(segment.slice(0, 12));
    }
  });

  it('never repeats a field name that could be a token, in the message or the path', () => {
    // Prepare
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImp0aSI6InQxIn0.c2lnbmF0dXJlc2lnbmF0dXJl';
    const body = JSON.stringify({ type: 'jti', jti: 'a1', [token]: true });

    // Act
    const error = refusal(body);

    // Assess
    expect({ reason: error.reason, path: error.path }).toEqual({ reason: 'invalid_field', path: '(unknown field)' });
    expect(error.message).not.toContain('eyJ');
  });

  it('never quotes the body of a message that is not JSON', () => {
    // Prepare
    const body = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln trailing';

    // Act
    const error = refusal(body);

    // Assess
    expect(error.reason).toBe('malformed_json');
    expect(error.message).not.toContain('eyJ');
  });

  describe('an issuer too long for the table key once %-encoded', () => {
    // 500 slashes fit the 512-byte issuer limit, but encodeURIComponent triples each: 1,515 bytes,
    // more than the 1,015 the 2,048-byte key leaves an issuer beside a 1,024-byte id.
    const longIssuer = 'https://i' + '/'.repeat(500);
    const fine = { type: 'jti', jti: 'a1' };

    it('is refused at its own position in a batch, naming the iss field', () => {
      // Prepare: [A, A, X]; merged, X would be the second revocation.
      const body = JSON.stringify({ revocations: [fine, fine, { ...fine, iss: longIssuer }] });

      // Act
      const error = refusal(body);

      // Assess
      expect({ reason: error.reason, path: error.path }).toEqual({ reason: 'invalid_field', path: 'revocations[2].iss' });
      expect(error.message).toContain('1515 bytes once %-encoded');
    });

    it('is refused when it comes from the message attribute, naming the attribute', () => {
      const error = refusal(JSON.stringify({ revokedToken: 'x'.repeat(600), ttl: '3600' }), { issuer: longIssuer });

      expect({ reason: error.reason, path: error.path }).toEqual({ reason: 'invalid_field', path: 'MessageAttributes.issuer' });
    });
  });

  describe('ids of any length or content (every token the authorizer allows can be revoked)', () => {
    it.each([
      ['3,000 bytes', 'u'.repeat(3000)],
      ['a C1 control character', 'bob\u0085'],
      ['a lone surrogate', 'x\ud800'],
      ['only spaces', '   '],
      ['the look of a stored hash', storedId('alice')],
    ])('are accepted with %s, in every id field, and stored as the mapping says', (_name, id) => {
      const messages = [
        { type: 'jti', jti: id },
        { type: 'subject', sub: id },
        { type: 'client', clientId: id },
        { type: 'session', sid: id },
        { revokedToken: id, ttl: '60' },
      ];

      const ids = messages.map((message) => revocationId(parseRevocationMessage(JSON.stringify(message), {}, rules)[0]!));

      expect(ids).toEqual([storedId(id), storedId(id), storedId(id), storedId(id), storedId(id)]);
    });

    it('keep the error messages free of the id', () => {
      const id = 'secret-looking-id\u0000' + 'x'.repeat(3000);
      const error = refusal(JSON.stringify({ type: 'subject', sub: id, revokedAt: 'soon' }));

      expect(error.reason).toBe('invalid_time');
      expect(error.message).not.toContain('secret-looking-id');
    });
  });

  it('reads the clock it is given: a revocation time an hour ahead is clamped to that now plus the clock tolerance', () => {
    // Prepare
    const nowMs = 1_800_000_000_000;
    const body = JSON.stringify({ type: 'client', clientId: 'app-7', revokedAt: nowMs + 3_600_000 });

    // Act
    const [revocation] = parseRevocationMessage(body, {}, { ...rules, nowMs, clockToleranceSeconds: 5 });

    // Assess
    expect(revocation).toMatchObject({ kind: 'client', revokedAtEpochMs: nowMs + 5000 });
  });

  it('keeps the cut-off of a message without a time at its publish time, never later than now', () => {
    const nowMs = 1_800_000_000_000;
    const body = JSON.stringify({ type: 'subject', sub: 'alice' });

    const published = parseRevocationMessage(body, {}, { ...rules, nowMs, publishedAtMs: nowMs - 2000 })[0];
    const publishedAhead = parseRevocationMessage(body, {}, { ...rules, nowMs, publishedAtMs: nowMs + 30_000 })[0];

    expect(published).toMatchObject({ revokedAtEpochMs: nowMs - 2000 });
    expect(publishedAhead).toMatchObject({ revokedAtEpochMs: nowMs });
  });

  it('dates a session revocation at its publish time, or at revokedAt clamped to now + tolerance, and keeps it one token lifetime from then', () => {
    const nowMs = 1_800_000_000_000;
    const at = (body: object, publishedAtMs = nowMs - 2000) =>
      parseRevocationMessage(JSON.stringify(body), {}, { ...rules, nowMs, publishedAtMs, clockToleranceSeconds: 5 })[0];
    const retention = rules.maxTokenLifetimeSeconds + 5;

    expect(at({ type: 'session', sid: 's1' })).toEqual({
      kind: 'session',
      issuer: '*',
      id: 's1',
      revokedAtEpochMs: nowMs - 2000,
      expiresAtEpochSeconds: Math.ceil((nowMs - 2000) / 1000) + retention,
    });
    expect(at({ type: 'session', sid: 's1' }, nowMs + 30_000)).toMatchObject({ revokedAtEpochMs: nowMs });
    expect(at({ type: 'session', sid: 's1', revokedAt: nowMs + 3_600_000 })).toMatchObject({
      revokedAtEpochMs: nowMs + 5000,
      expiresAtEpochSeconds: nowMs / 1000 + 5 + retention,
    });
  });

  it('answers every input with revocations or an InvalidMessageError, never another error', () => {
    // Prepare
    const bodies = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record(
          {
            type: fc.constantFrom('jti', 'token', 'subject', 'client', 'session', 'x'),
            jti: fc.anything(),
            sub: fc.anything(),
            sid: fc.anything(),
            clientId: fc.anything(),
            token: fc.anything(),
            revokedAt: fc.anything(),
            exp: fc.anything(),
            iss: fc.anything(),
          },
          { requiredKeys: ['type'] },
        )
        .map((v) => JSON.stringify(v)),
      fc.record({ revokedToken: fc.anything(), ttl: fc.anything() }).map((v) => JSON.stringify(v)),
      fc
        .record({
          type: fc.constantFrom('JWT', 'CONSUMER_APP_REVOCATION_EVENT', 'SUBJECT_ENTITY_REVOCATION_EVENT'),
          revokedToken: fc.oneof(fc.string(), fc.base64String(), fc.anything()),
          expiryTime: fc.anything(),
        })
        .map((payloadData) => JSON.stringify({ event: { payloadData } })),
    );

    // Act + Assess
    fc.assert(
      fc.property(bodies, (body) => {
        try {
          const revocations = parseRevocationMessage(body, {}, rules);
          for (const revocation of revocations) {
            expect(Number.isSafeInteger(revocation.expiresAtEpochSeconds)).toBe(true);
            expect(revocation.expiresAtEpochSeconds).toBeLessThan(1e11);
          }
        } catch (error) {
          if (!(error instanceof InvalidMessageError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('coalesceRevocations', () => {
  it('keeps one revocation per kind, issuer and id: the latest cut-off and the longest TTL', () => {
    // Prepare
    const body = JSON.stringify({
      revocations: [
        { type: 'subject', sub: 'alice', revokedAt: 1735689000000 },
        { type: 'subject', sub: 'alice', revokedAt: 1735689500000 },
        { type: 'subject', sub: 'alice', revokedAt: 1735689100000 },
        { type: 'subject', sub: 'alice', iss: 'https://issuer.example.com/', revokedAt: 1735689000000 },
        { type: 'client', clientId: 'alice', revokedAt: 1735689000000 },
        { type: 'jti', jti: 'j1', exp: 1735690000 },
        { type: 'jti', jti: 'j1', exp: 1735699000 },
        { type: 'session', sid: 'alice', revokedAt: 1735689000000 },
        { type: 'session', sid: 'alice', revokedAt: 1735689400000 },
        { type: 'session', sid: 'alice', revokedAt: 1735689200000 },
      ],
    });

    // Act
    const revocations = coalesceRevocations(parseRevocationMessage(body, {}, rules));

    // Assess
    expect(revocations).toEqual([
      expect.objectContaining({ kind: 'subject', issuer: '*', id: 'alice', revokedAtEpochMs: 1735689500000 }),
      expect.objectContaining({ kind: 'subject', issuer: 'https://issuer.example.com/', id: 'alice' }),
      expect.objectContaining({ kind: 'client', issuer: '*', id: 'alice' }),
      expect.objectContaining({ kind: 'jti', jti: 'j1', expiresAtEpochSeconds: 1735699060 }),
      expect.objectContaining({
        kind: 'session',
        issuer: '*',
        id: 'alice',
        revokedAtEpochMs: 1735689400000,
        expiresAtEpochSeconds: 1735689400 + rules.maxTokenLifetimeSeconds + rules.clockToleranceSeconds,
      }),
    ]);
  });
});

describe('schema/revocation-message.schema.json', () => {
  const schema = JSON.parse(readFileSync(new URL('../../../schema/revocation-message.schema.json', import.meta.url), 'utf8')) as object;
  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
  const own = (entry: CorpusEntry) => entry.format === 'revocation';
  const parsed = (entry: CorpusEntry): { ok: true; value: unknown } | { ok: false } => {
    try {
      return { ok: true, value: JSON.parse(bodyOf(entry)) };
    } catch {
      return { ok: false };
    }
  };

  it.each(corpus.valid.filter(own).map((entry) => [entry.name, entry] as const))('accepts what the parser accepts: %s', (_name, entry) => {
    // Act
    const ok = validate(entry.message);

    // Assess
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(corpus.invalid.filter((entry) => own(entry) && entry.schemaCanTell !== false).map((entry) => [entry.name, entry] as const))(
    'refuses what the parser refuses: %s',
    (_name, entry) => {
      // Prepare
      const body = parsed(entry);

      // Act
      const ok = body.ok && validate(body.value);

      // Assess
      expect(ok).toBe(false);
    },
  );

  it('describes the same types and fields as the parser', () => {
    // Prepare
    const defs = (schema as { $defs: Record<string, { properties?: Record<string, unknown> }> }).$defs;

    // Act
    const fields = Object.fromEntries(
      ['jti', 'token', 'subject', 'client', 'session'].map((type) => [type, Object.keys(defs[type]!.properties!).sort()]),
    );

    // Assess
    expect(fields).toEqual({
      jti: ['exp', 'iss', 'jti', 'type'],
      token: ['token', 'type'],
      subject: ['iss', 'revokedAt', 'sub', 'type'],
      client: ['clientId', 'iss', 'revokedAt', 'type'],
      session: ['iss', 'revokedAt', 'sid', 'type'],
    });
  });
});
