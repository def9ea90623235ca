import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type MessageAttributes, type MessageRules, readRevocationMessage } from '../../lambda/messages/index.js';
import { isStoredId, MAX_ENCODED_ISSUER_BYTES, type Revocation, revocationId } from '../../lambda/revocation/index.js';
import { InvalidMessageError, type InvalidMessageReason } from '../../lambda/shared/index.js';
import { TOKEN_HASH_PREFIX } from '../../lambda/token/index.js';
import { bodyOf, messageCorpus as corpus } from '../fixtures/messages/corpus.js';

/**
 * Property tests of the message parser: arbitrary JSON, arbitrary values in every field of every
 * format, and mutations of the shared message corpus. Every input gives either revocations that
 * keep the documented invariants (docs/messages.md, "Times, TTLs and limits") or an
 * InvalidMessageError with a documented reason; never another exception.
 */

const SEED = 0x5e55;
const NOW_MS = corpus.nowMs;
const YEAR_SECONDS = 366 * 86_400;
const EPOCH_2000_MS = 946_684_800_000;
const DOCUMENTED_REASONS: readonly InvalidMessageReason[] = [
  'malformed_json',
  'too_large',
  'unknown_format',
  'unsupported_version',
  'unknown_type',
  'missing_field',
  'invalid_field',
  'invalid_id',
  'invalid_time',
  'invalid_token',
];
// C0 and C1 control characters, DEL, and lone surrogates: never in a stored id.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f]|\p{Surrogate}/u;

/** Rules under test: the defaults, and a short lifetime with no tolerance, and a long tolerance. */
const RULE_SETS: readonly MessageRules[] = [
  { nowMs: NOW_MS, clockToleranceSeconds: 60, maxTokenLifetimeSeconds: 86_400 },
  { nowMs: NOW_MS + 123, clockToleranceSeconds: 0, maxTokenLifetimeSeconds: 300 },
  { nowMs: NOW_MS + 999, clockToleranceSeconds: 3600, maxTokenLifetimeSeconds: 7 * 86_400 },
];

/** The invariants every accepted revocation keeps, whatever the message said. */
function expectInvariants(revocations: Revocation[], rules: MessageRules): void {
  expect(revocations.length).toBeGreaterThan(0);
  const tolerance = rules.clockToleranceSeconds;
  for (const revocation of revocations) {
    expect(['jti', 'subject', 'client', 'session']).toContain(revocation.kind);
    expect(typeof revocation.issuer).toBe('string');
    expect(revocation.issuer.trim()).not.toBe('');
    expect(Buffer.byteLength(revocation.issuer)).toBeLessThanOrEqual(512);
    expect(FORBIDDEN.test(revocation.issuer)).toBe(false);
    expect(encodeURIComponent(revocation.issuer).length).toBeLessThanOrEqual(MAX_ENCODED_ISSUER_BYTES);
    // Any id is accepted; what is stored is storedId's output: as it was, or its hash.
    const id = revocationId(revocation);
    expect(typeof id).toBe('string');
    expect(isStoredId(id)).toBe(true);
    expect(Buffer.byteLength(id)).toBeLessThanOrEqual(1024);
    expect(FORBIDDEN.test(id)).toBe(false);
    if (id.startsWith(TOKEN_HASH_PREFIX) && revocation.kind === 'jti') expect(id.length).toBeGreaterThan(TOKEN_HASH_PREFIX.length);

    // The TTL is epoch seconds (never ms), a whole number, after 2000 and within a year or a lifetime.
    const expires = revocation.expiresAtEpochSeconds;
    expect(Number.isSafeInteger(expires)).toBe(true);
    // From 2000 on (a time before 2000 is refused; exactly 2000 with no tolerance is this bound).
    expect(expires).toBeGreaterThanOrEqual(EPOCH_2000_MS / 1000);
    expect(expires).toBeLessThan(1e10);
    const latest = Math.ceil(rules.nowMs / 1000) + Math.max(YEAR_SECONDS, rules.maxTokenLifetimeSeconds) + tolerance;
    expect(expires).toBeLessThanOrEqual(latest);

    if (revocation.kind !== 'jti') {
      // T (a cut-off, or when a session was revoked) is epoch ms, after 2000, and clamped to now + the clock tolerance.
      const t = revocation.revokedAtEpochMs;
      expect(Number.isSafeInteger(t)).toBe(true);
      expect(t).toBeGreaterThanOrEqual(EPOCH_2000_MS);
      expect(t).toBeLessThanOrEqual(rules.nowMs + tolerance * 1000);
      // Kept at least until the last token it refuses (iat * 1000 <= T, lifetime at most the
      // maximum; for a session, every token issued up to T) has expired beyond the tolerance:
      // iat <= T / 1000, exp <= iat + lifetime.
      expect(expires * 1000).toBeGreaterThanOrEqual(t + (rules.maxTokenLifetimeSeconds + tolerance) * 1000);
      // ... and not much longer: one second of rounding at most.
      expect(expires * 1000).toBeLessThan(t + (rules.maxTokenLifetimeSeconds + tolerance + 1) * 1000);
    }
  }
}

/** Parses, and checks the outcome is documented; returns the revocations or the error. */
function parseChecked(body: string, attributes: MessageAttributes, rules: MessageRules): Revocation[] | InvalidMessageError {
  let revocations: Revocation[];
  let notApplicable: unknown;
  try {
    ({ revocations, notApplicable } = readRevocationMessage(body, attributes, rules));
  } catch (error) {
    if (!(error instanceof InvalidMessageError)) throw error;
    expect(DOCUMENTED_REASONS).toContain(error.reason);
    expect(error.code).toBe('ERR_INVALID_MESSAGE');
    return error;
  }
  // A WSO2 Default event is accepted with nothing to write, and says so.
  if (notApplicable !== undefined) expect(revocations).toEqual([]);
  else expectInvariants(revocations, rules);
  // Pure: the same message read again gives the same revocations.
  expect(readRevocationMessage(body, attributes, rules).revocations).toEqual(revocations);
  return revocations;
}

// Field values that sit on or near every documented boundary, plus anything at all.
const nowSeconds = Math.floor(NOW_MS / 1000);
const timeLike = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    1.5,
    1e11,
    1e11 - 1,
    1e12,
    EPOCH_2000_MS,
    EPOCH_2000_MS - 1,
    nowSeconds,
    NOW_MS,
    NOW_MS + 1,
    NOW_MS + 366 * 86_400_000,
    NOW_MS + 366 * 86_400_000 + 1,
    Number.MAX_SAFE_INTEGER,
    2 ** 53,
    1e308,
    -0,
  ),
  fc.integer({ min: NOW_MS - 86_400_000 * 3, max: NOW_MS + 86_400_000 * 400 }),
  fc.integer({ min: nowSeconds - 86_400 * 3, max: nowSeconds + 86_400 * 400 }),
  fc.double(),
  fc.integer().map(String),
  fc.constantFrom('', ' 1', '1e12', '0x1', '١٢٣', '1735689600000 '),
  fc.anything(),
);
const idLike = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', 'a\nb', '\ud800', 'x'.repeat(1025), 'é'.repeat(513), '*', 'sha256:abc'),
  fc.anything(),
);
const base64Json = (value: fc.Arbitrary<unknown>) =>
  fc.oneof(
    value.map((inner) => Buffer.from(JSON.stringify(inner) ?? 'null').toString('base64')),
    value.map((inner) => Buffer.from(JSON.stringify(inner) ?? 'null').toString('base64url')),
    fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='.split('')) }),
  );

const issField = { iss: idLike };
const ownEntry = fc.oneof(
  fc.record({ type: fc.constant('jti'), jti: idLike, exp: timeLike, ...issField }, { requiredKeys: ['type', 'jti'] }),
  fc.record({ type: fc.constant('token'), token: fc.oneof(fc.string(), fc.anything()) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('subject'), sub: idLike, revokedAt: timeLike, ...issField }, { requiredKeys: ['type', 'sub'] }),
  fc.record({ type: fc.constant('client'), clientId: idLike, revokedAt: timeLike, ...issField }, { requiredKeys: ['type', 'clientId'] }),
  fc.record({ type: fc.constant('session'), sid: idLike, revokedAt: timeLike, ...issField }, { requiredKeys: ['type', 'sid'] }),
  fc.record(
    {
      type: fc.anything(),
      jti: idLike,
      sub: idLike,
      clientId: idLike,
      sid: idLike,
      revokedAt: timeLike,
      exp: timeLike,
      token: fc.anything(),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  ),
);
const ownMessages = fc.oneof(
  fc
    .tuple(ownEntry, fc.option(fc.oneof(fc.constant(1), fc.anything()), { nil: undefined }))
    .map(([entry, version]) => JSON.stringify(version === undefined ? entry : { version, ...entry })),
  fc
    .record(
      { version: fc.oneof(fc.constant(1), fc.anything()), revocations: fc.oneof(fc.array(ownEntry, { maxLength: 5 }), fc.anything()) },
      { requiredKeys: ['revocations'] },
    )
    .map((batch) => JSON.stringify(batch)),
);
const wso2Messages = fc.oneof(
  fc.record({ revokedToken: idLike, ttl: timeLike, expiryTime: timeLike }, { requiredKeys: [] }).map((message) => JSON.stringify(message)),
  fc
    .record(
      {
        type: fc.oneof(
          fc.constantFrom(
            'JWT',
            'API_KEY',
            'consumer_app_revocation_event',
            'subject_entity_revocation_event',
            'CONSUMER_APP_REVOCATION_EVENT',
            'SUBJECT_ENTITY_REVOCATION_EVENT',
            'Default',
            'token_revocation_batch',
          ),
          fc.anything(),
        ),
        revokedToken: fc.oneof(
          idLike,
          base64Json(fc.record({ consumer_key: idLike, consumerKey: idLike, revocationTime: timeLike }, { requiredKeys: [] })),
          base64Json(
            fc.record(
              { entityId: idLike, entityType: fc.oneof(fc.constantFrom('USER_ID', 'CLIENT_ID'), fc.anything()), revocationTime: timeLike },
              { requiredKeys: [] },
            ),
          ),
        ),
        expiryTime: timeLike,
        ttl: timeLike,
        tenantId: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map((payloadData) => JSON.stringify({ event: { payloadData } })),
);
const attributes: fc.Arbitrary<MessageAttributes> = fc.record(
  {
    issuer: fc.oneof(
      fc.constant('https://issuer.example.com/'),
      idLike.filter((value): value is string => typeof value === 'string'),
    ),
    format: fc.oneof(fc.constantFrom('revocation', 'wso2', 'WSO2 ', 'other'), fc.string()),
  },
  { requiredKeys: [] },
);
const rules = fc.constantFrom(...RULE_SETS);

/** A JSON path to every value inside a parsed message, to mutate one of them. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const found: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => found.push(...paths(item, [...prefix, index])));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) found.push(...paths(item, [...prefix, key]));
  }
  return found;
}

type Edit =
  | { op: 'set'; path: number; value: unknown }
  | { op: 'delete'; path: number }
  | { op: 'scale'; path: number; factor: number }
  | { op: 'stringify'; path: number }
  | { op: 'rename'; path: number; name: string };

function edit(message: unknown, change: Edit): unknown {
  const all = paths(message);
  const path = all[change.path % all.length]!;
  if (path.length === 0) return change.op === 'set' ? change.value : message;
  const copy = structuredClone(message) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  switch (change.op) {
    case 'set':
      parent[last] = change.value;
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete parent[last];
      break;
    case 'scale':
      if (typeof parent[last] === 'number') parent[last] = (parent[last] as number) * change.factor;
      else if (typeof parent[last] === 'string' && /^\d+$/.test(parent[last] as string))
        parent[last] = String(Number(parent[last]) * change.factor);
      break;
    case 'stringify':
      parent[last] = typeof parent[last] === 'string' ? Number(parent[last]) : JSON.stringify(parent[last]);
      break;
    case 'rename':
      if (!Array.isArray(parent)) {
        parent[change.name] = parent[last];
        delete parent[last];
      }
      break;
  }
  return copy;
}

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), path: fc.nat(), value: fc.oneof(timeLike, idLike) }),
  fc.record({ op: fc.constant('delete' as const), path: fc.nat() }),
  fc.record({ op: fc.constant('scale' as const), path: fc.nat(), factor: fc.constantFrom(1000, 0.001, -1, 2, 1.5) }),
  fc.record({ op: fc.constant('stringify' as const), path: fc.nat() }),
  fc.record({
    op: fc.constant('rename' as const),
    path: fc.nat(),
    name: fc.constantFrom('type', 'jti', 'sub', 'revokedat', 'iss', 'x', 'revocations', 'event', 'payloadData'),
  }),
);

type TextEdit = { op: 'truncate'; at: number } | { op: 'insert'; at: number; text: string } | { op: 'duplicate-member'; at: number };

function editText(body: string, change: TextEdit): string {
  const at = body.length === 0 ? 0 : change.at % body.length;
  switch (change.op) {
    case 'truncate':
      return body.slice(0, at);
    case 'insert':
      return body.slice(0, at) + change.text + body.slice(at);
    case 'duplicate-member': {
      // Repeat the first member of the outermost object: two values for one name.
      const match = /^\{("(?:[^"\\]|\\.)*":(?:"(?:[^"\\]|\\.)*"|[^,{}[\]]+)),?/.exec(body);
      return match ? `{${match[1]},${body.slice(1)}` : body;
    }
  }
}

const textEditArb: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom('"', ',', '}', '{', '\\', '\u0000', ' ', ':1', '"x":1,'),
  }),
  fc.record({ op: fc.constant('duplicate-member' as const), at: fc.nat() }),
);

describe('parseRevocationMessage under random and mutated input', () => {
  it('answers arbitrary JSON values and strings with documented outcomes only', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.jsonValue().map((value) => JSON.stringify(value)),
        ),
        attributes,
        rules,
        (body, attrs, at) => {
          parseChecked(body, attrs, at);
        },
      ),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('keeps the invariants for arbitrary field values in the project format', () => {
    let accepted = 0;
    fc.assert(
      fc.property(ownMessages, rules, (body, at) => {
        if (Array.isArray(parseChecked(body, {}, at))) accepted++;
      }),
      { seed: SEED + 1, numRuns: 4000 },
    );
    // Enough of the random messages are accepted for the invariants to have been exercised.
    expect(accepted).toBeGreaterThan(50);
  });

  it('keeps the invariants for arbitrary field values in the WSO2 formats', () => {
    let accepted = 0;
    fc.assert(
      fc.property(wso2Messages, rules, (body, at) => {
        if (Array.isArray(parseChecked(body, {}, at))) accepted++;
      }),
      { seed: SEED + 2, numRuns: 4000 },
    );
    expect(accepted).toBeGreaterThan(50);
  });

  it('keeps the invariants for every valid corpus message mutated at any field', () => {
    const valid = corpus.valid.filter((entry) => entry.message !== undefined);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: valid.length - 1 }),
        fc.array(editArb, { minLength: 1, maxLength: 3 }),
        rules,
        (index, edits, at) => {
          const entry = valid[index]!;
          const message = edits.reduce(edit, entry.message);
          parseChecked(JSON.stringify(message) ?? 'null', entry.attributes, at);
        },
      ),
      { seed: SEED + 3, numRuns: 4000 },
    );
  });

  it('refuses, or reads as documented, every corpus message truncated, spliced or given a member twice', () => {
    const all = [...corpus.valid, ...corpus.invalid];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: all.length - 1 }), textEditArb, rules, (index, change, at) => {
        const entry = all[index]!;
        const body = editText(bodyOf(entry), change);
        const outcome = parseChecked(body, entry.attributes, at);
        // A valid message with a member given twice is refused as such (attributes are read first).
        if (change.op === 'duplicate-member' && body !== bodyOf(entry) && index < corpus.valid.length) {
          expect(outcome).toBeInstanceOf(InvalidMessageError);
          expect((outcome as InvalidMessageError).reason).toBe('malformed_json');
        }
      }),
      { seed: SEED + 4, numRuns: 3000 },
    );
  });

  it('never accepts a revocation time in the wrong unit: every valid time scaled by 1000 or 1/1000 is refused or clamped', () => {
    const timed = corpus.valid.filter((entry) => /"(revokedAt|exp|expiryTime|ttl)"/.test(bodyOf(entry)) && entry.message !== undefined);
    expect(timed.length).toBeGreaterThan(5);
    for (const entry of timed) {
      for (const factor of [1000, 0.001]) {
        const scaled = JSON.parse(
          bodyOf(entry).replace(
            /"(revokedAt|exp|expiryTime)":(\d+)/g,
            (_, name: string, value: string) => `"${name}":${Math.round(Number(value) * factor)}`,
          ),
        ) as unknown;
        const outcome = parseChecked(JSON.stringify(scaled), entry.attributes, RULE_SETS[0]!);
        if (Array.isArray(outcome) && factor === 1000) {
          // Only a revokedAt can survive ×1000 (clamped to now): never a TTL in ms.
          for (const revocation of outcome) expect(revocation.expiresAtEpochSeconds).toBeLessThan(1e10);
        }
      }
    }
  });
});
