import type { Revocation } from '../../../lambda/revocation/index.js';
import type { InvalidMessageReason } from '../../../lambda/shared/index.js';

/**
 * Revocation messages the shared corpus (test/fixtures/messages/corpus.json) does not hold yet:
 * the hostile ones issue 8 lists (truncations, wrong types, base64 garbage, wrong units, times at
 * every bound, 256 KB bodies). Read at the corpus clock with the default rules (tolerance 60 s,
 * lifetime 86400 s). Expected revocations are written out from docs/messages.md, not computed by
 * the parser.
 */

export const NOW_MS = 1_735_689_600_000;
const NOW_S = NOW_MS / 1000;
const TOL = 60;
const LIFE = 86_400;
const YEAR_S = 366 * 86_400;
const ISS = 'https://issuer.example.com/';

export interface ExtraMessage {
  readonly name: string;
  readonly body: string;
  readonly attributes?: Readonly<Record<string, string | { readonly Type: string; readonly Value: string }>>;
  readonly expect: { readonly revocations: Revocation[] } | { readonly reason: InvalidMessageReason; readonly path: string };
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
const json = (value: unknown) => JSON.stringify(value);
const jti = (issuer: string, id: string, expiresAtEpochSeconds: number): Revocation => ({
  kind: 'jti',
  issuer,
  jti: id,
  expiresAtEpochSeconds,
});
const cut = (kind: 'subject' | 'client', issuer: string, id: string, t: number): Revocation => ({
  kind,
  issuer,
  id,
  revokedAtEpochMs: t,
  expiresAtEpochSeconds: Math.ceil(t / 1000) + LIFE + TOL,
});
const refused = (reason: InvalidMessageReason, path = '') => ({ reason, path });
const subjectEvent = (inner: unknown) =>
  json({
    event: {
      payloadData: {
        type: 'SUBJECT_ENTITY_REVOCATION_EVENT',
        revokedToken: typeof inner === 'string' ? inner : b64(inner),
        ttl: '3600',
        expiryTime: 0,
        tenantId: -1234,
      },
    },
  });
const appEvent = (inner: unknown) =>
  json({
    event: {
      payloadData: { type: 'CONSUMER_APP_REVOCATION_EVENT', revokedToken: typeof inner === 'string' ? inner : b64(inner), ttl: '3600' },
    },
  });

/** A batch of jti entries whose JSON is exactly `bytes` long (UTF-8), each jti about 1 KB. */
export function batchOfBytes(bytes: number, prefix: string, unit = 'x'): { body: string; jtis: string[] } {
  const entries: string[] = [];
  const jtis: string[] = [];
  const envelope = (list: string[]) => `{"revocations":[${list.join(',')}]}`;
  const entry = (id: string) => `{"type":"jti","jti":"${id}"}`;
  // Whole 1000-byte ids while they fit, then one id that takes up exactly the rest.
  for (let i = 0; ; i++) {
    const id = `${prefix}-${String(i).padStart(4, '0')}-`.padEnd(1000, unit);
    const next = [...entries, entry(id)];
    if (Buffer.byteLength(envelope(next)) + 40 > bytes) break;
    entries.push(entry(id));
    jtis.push(id);
  }
  const rest = bytes - Buffer.byteLength(envelope([...entries, entry('')]));
  const base = `${prefix}-last-`;
  const last =
    base +
    unit.repeat(Math.floor((rest - base.length) / Buffer.byteLength(unit))) +
    'z'.repeat((rest - base.length) % Buffer.byteLength(unit));
  entries.push(entry(last));
  jtis.push(last);
  const body = envelope(entries);
  if (Buffer.byteLength(body) !== bytes) throw new Error(`batch is ${Buffer.byteLength(body)} bytes, not ${bytes}`);
  return { body, jtis };
}

const atLimit = batchOfBytes(262_144, 'limit');
const overLimit = batchOfBytes(262_145, 'over');
// 'é' is two bytes: under 262,144 characters, over 262,144 bytes.
const overLimitInBytes = batchOfBytes(262_146, 'bytes', 'é');

export const EXTRA_MESSAGES: readonly ExtraMessage[] = [
  // ── 256 KB: the SNS limit, counted in UTF-8 bytes ─────────────────────────────────────────────
  {
    name: 'a batch of exactly 262,144 bytes',
    body: atLimit.body,
    expect: { revocations: atLimit.jtis.map((id) => jti('*', id, NOW_S + LIFE + TOL)) },
  },
  { name: 'a batch of 262,145 bytes', body: overLimit.body, expect: refused('too_large') },
  { name: 'a batch over 262,144 bytes in UTF-8 but not in characters', body: overLimitInBytes.body, expect: refused('too_large') },

  // ── truncated ──────────────────────────────────────────────────────────────────────────────────
  {
    name: 'a batch cut inside an entry',
    body: json({
      revocations: [
        { type: 'jti', jti: 'cut-1' },
        { type: 'subject', sub: 'cut-2' },
      ],
    }).slice(0, 50),
    expect: refused('malformed_json'),
  },
  {
    name: 'an API-M envelope cut before its end',
    body: subjectEvent({ entityId: 'u', entityType: 'USER_ID', revocationTime: String(NOW_MS) }).slice(0, -3),
    expect: refused('malformed_json'),
  },
  {
    name: 'base64 cut to a length of 1 mod 4',
    body: appEvent(b64({ consumerKey: 'k', revocationTime: String(NOW_MS - 1000) }).slice(0, 13)),
    expect: refused('invalid_field', 'event.payloadData.revokedToken'),
  },
  {
    name: 'base64 cut to whole quanta: JSON cut short',
    body: appEvent(b64({ consumerKey: 'k', revocationTime: String(NOW_MS - 1000) }).slice(0, 24)),
    expect: refused('invalid_field', 'event.payloadData.revokedToken'),
  },
  {
    name: 'a whole token cut inside its payload',
    body: json({ type: 'token', token: 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLmNvbS8iLCJqdGki' }),
    expect: refused('invalid_token', 'token'),
  },

  // ── wrong types ────────────────────────────────────────────────────────────────────────────────
  { name: 'type as a number', body: json({ type: 1, jti: 'a' }), expect: refused('unknown_type', 'type') },
  { name: 'sub as an object', body: json({ type: 'subject', sub: { id: 'alice' } }), expect: refused('invalid_id', 'sub') },
  {
    name: 'revokedAt as a boolean',
    body: json({ type: 'subject', sub: 'alice', revokedAt: true }),
    expect: refused('invalid_time', 'revokedAt'),
  },
  {
    name: 'revokedAt as an array',
    body: json({ type: 'client', clientId: 'c', revokedAt: [NOW_MS] }),
    expect: refused('invalid_time', 'revokedAt'),
  },
  { name: 'iss as an array', body: json({ type: 'jti', jti: 'a', iss: [ISS] }), expect: refused('invalid_field', 'iss') },
  { name: 'batch entries that are strings', body: json({ revocations: ['jti:a'] }), expect: refused('invalid_field', 'revocations[0]') },
  // WSO2's ttl is the notifier's configured constant, never the token's life: read as nothing at all.
  {
    name: 'ttl as an object: ignored',
    body: json({ revokedToken: 'j1', ttl: { seconds: 60 } }),
    expect: { revocations: [jti('*', 'j1', NOW_S + LIFE + TOL)] },
  },
  {
    name: 'expiryTime as an array',
    body: json({ event: { payloadData: { type: 'JWT', revokedToken: 'j1', expiryTime: [NOW_MS] } } }),
    expect: refused('invalid_time', 'event.payloadData.expiryTime'),
  },
  { name: 'revokedToken as a number', body: json({ revokedToken: 12345, ttl: '60' }), expect: refused('invalid_id', 'revokedToken') },
  {
    name: 'the issuer attribute as a Number attribute',
    body: json({ type: 'jti', jti: 'a' }),
    attributes: { issuer: { Type: 'Number', Value: '1' } },
    expect: refused('invalid_field', 'MessageAttributes.issuer'),
  },

  // ── base64 garbage ─────────────────────────────────────────────────────────────────────────────
  {
    name: 'base64 of bytes that are not UTF-8',
    body: subjectEvent(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64')),
    expect: refused('invalid_field', 'event.payloadData.revokedToken'),
  },
  {
    name: 'base64url instead of base64',
    body: subjectEvent(
      Buffer.from(json({ entityId: 'u??>', entityType: 'USER_ID', revocationTime: String(NOW_MS) })).toString('base64url'),
    ),
    expect: refused('invalid_field', 'event.payloadData.revokedToken'),
  },
  {
    name: 'base64 with line breaks',
    body: subjectEvent(
      b64({ entityId: 'u'.repeat(60), entityType: 'USER_ID', revocationTime: String(NOW_MS) }).replace(/(.{76})/g, '$1\r\n'),
    ),
    expect: refused('invalid_field', 'event.payloadData.revokedToken'),
  },
  { name: 'base64 of a JSON array', body: subjectEvent(b64([1, 2])), expect: refused('invalid_field', 'event.payloadData.revokedToken') },
  {
    name: 'base64 of random bytes',
    body: appEvent('q83vASNFZ4mrze8BI0VniQ=='),
    expect: refused('invalid_field', 'event.payloadData.revokedToken'),
  },

  // ── units ──────────────────────────────────────────────────────────────────────────────────────
  {
    name: 'a ttl of a year (366 days): the jti kept for the maximum token lifetime all the same',
    body: json({ revokedToken: 'ttl-year', ttl: String(YEAR_S) }),
    expect: { revocations: [jti('*', 'ttl-year', NOW_S + LIFE + TOL)] },
  },
  {
    name: 'a ttl of 5 seconds: it does not shorten the revocation',
    body: json({ revokedToken: 'ttl-5', ttl: '5' }),
    expect: { revocations: [jti('*', 'ttl-5', NOW_S + LIFE + TOL)] },
  },
  {
    name: 'a ttl of a day in milliseconds: ignored',
    body: json({ revokedToken: 'ttl-ms', ttl: 86_400_000 }),
    expect: { revocations: [jti('*', 'ttl-ms', NOW_S + LIFE + TOL)] },
  },
  {
    name: 'exp in milliseconds as a string',
    body: json({ type: 'jti', jti: 'a', exp: String((NOW_S + 60) * 1000) }),
    expect: refused('invalid_time', 'exp'),
  },
  {
    name: 'revokedAt just below 10^11 (seconds, not ms)',
    body: json({ type: 'subject', sub: 'alice', revokedAt: 99_999_999_999 }),
    expect: refused('invalid_time', 'revokedAt'),
  },
  {
    name: 'revocationTime in microseconds',
    body: subjectEvent({ entityId: 'u', entityType: 'USER_ID', revocationTime: String(NOW_MS * 1000) }),
    expect: refused('invalid_time', 'event.payloadData.revokedToken.revocationTime'),
  },

  // ── future times, at every bound ───────────────────────────────────────────────────────────────
  {
    name: 'revokedAt exactly now: kept',
    body: json({ type: 'subject', sub: 'future-1', revokedAt: NOW_MS }),
    expect: { revocations: [cut('subject', '*', 'future-1', NOW_MS)] },
  },
  // An explicit time is clamped to now + the clock tolerance: the verifier accepts iat that far ahead.
  {
    name: 'revokedAt now + 1 ms: kept, within the clock tolerance',
    body: json({ type: 'subject', sub: 'future-2', revokedAt: NOW_MS + 1 }),
    expect: { revocations: [cut('subject', '*', 'future-2', NOW_MS + 1)] },
  },
  {
    name: 'revokedAt exactly the clock tolerance ahead: kept',
    body: json({ type: 'subject', sub: 'future-6', revokedAt: NOW_MS + TOL * 1000 }),
    expect: { revocations: [cut('subject', '*', 'future-6', NOW_MS + TOL * 1000)] },
  },
  {
    name: 'revokedAt the clock tolerance and 1 ms ahead: clamped to now + the tolerance',
    body: json({ type: 'subject', sub: 'future-7', revokedAt: NOW_MS + TOL * 1000 + 1 }),
    expect: { revocations: [cut('subject', '*', 'future-7', NOW_MS + TOL * 1000)] },
  },
  {
    name: 'revokedAt exactly a year ahead: clamped to now + the tolerance',
    body: json({ type: 'client', clientId: 'future-3', revokedAt: NOW_MS + YEAR_S * 1000 }),
    expect: { revocations: [cut('client', '*', 'future-3', NOW_MS + TOL * 1000)] },
  },
  {
    name: 'revokedAt a year and 1 ms ahead: refused',
    body: json({ type: 'client', clientId: 'future-4', revokedAt: NOW_MS + YEAR_S * 1000 + 1 }),
    expect: refused('invalid_time', 'revokedAt'),
  },
  {
    name: 'exp exactly a year ahead',
    body: json({ type: 'jti', jti: 'exp-year', exp: NOW_S + YEAR_S }),
    expect: { revocations: [jti('*', 'exp-year', NOW_S + YEAR_S + TOL)] },
  },
  {
    name: 'exp a year and a second ahead',
    body: json({ type: 'jti', jti: 'exp-year-1', exp: NOW_S + YEAR_S + 1 }),
    expect: refused('invalid_time', 'exp'),
  },
  {
    name: 'a WSO2 user revocation an hour ahead: clamped to now + the tolerance',
    body: subjectEvent({ entityId: 'future-5', entityType: 'USER_ID', revocationTime: String(NOW_MS + 3_600_000) }),
    expect: { revocations: [cut('subject', '*', 'future-5', NOW_MS + TOL * 1000)] },
  },

  // ── replays and order: stored state only moves forward ──────────────────────────────────────────
  {
    name: 'a cut-off for replay-1 at T',
    body: json({ type: 'subject', sub: 'replay-1', revokedAt: NOW_MS - 60_000 }),
    expect: { revocations: [cut('subject', '*', 'replay-1', NOW_MS - 60_000)] },
  },
  {
    name: 'an older cut-off for replay-1: unchanged',
    body: json({ type: 'subject', sub: 'replay-1', revokedAt: NOW_MS - 120_000 }),
    expect: { revocations: [cut('subject', '*', 'replay-1', NOW_MS - 120_000)] },
  },
  {
    name: 'a WSO2 event with a garbage time for replay-1: refused, the cut-off stays',
    body: subjectEvent({ entityId: 'replay-1', entityType: 'USER_ID', revocationTime: 'NaN' }),
    expect: refused('invalid_time', 'event.payloadData.revokedToken.revocationTime'),
  },
  {
    name: 'a batch with a good entry and a bad one: nothing written',
    body: json({
      revocations: [
        { type: 'subject', sub: 'replay-1', revokedAt: NOW_MS },
        { type: 'subject', sub: '' },
      ],
    }),
    expect: refused('invalid_id', 'revocations[1].sub'),
  },
];
