import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ANY_ISSUER, HashedTable, type Revocation, RevocationCache, sessionRevocation } from '../../../lambda/revocation/index.js';

const ISS = 'https://issuer.example.com';
const NOW = 1_800_000_000;
const RETENTION = 3600;

function cache(): RevocationCache {
  return new RevocationCache({ cutoffRetentionSeconds: RETENTION });
}

const jti = (id: string, expiresAtEpochSeconds: number, issuer = ISS): Revocation => ({
  kind: 'jti',
  issuer,
  jti: id,
  expiresAtEpochSeconds,
});
const cutoff = (kind: 'subject' | 'client', id: string, revokedAtEpochMs: number, issuer = ISS): Revocation => ({
  kind,
  issuer,
  id,
  revokedAtEpochMs,
  expiresAtEpochSeconds: Math.ceil(revokedAtEpochMs / 1000) + RETENTION,
});
// The ingest's own constructor, with the retention the cache is built for (lifetime + tolerance = RETENTION).
const session = (id: string, revokedAtEpochMs: number, issuer = ISS): Revocation =>
  sessionRevocation(issuer, id, revokedAtEpochMs, { maxTokenLifetimeSeconds: RETENTION - 60, clockToleranceSeconds: 60 });

describe('RevocationCache', () => {
  it('answers that a revoked jti is revoked for its issuer only', () => {
    const revocations = cache();

    revocations.apply(jti('token-1', NOW + 60), NOW);

    expect(revocations.isJtiRevoked(ISS, 'token-1', NOW)).toBe(true);
    expect(revocations.isJtiRevoked('https://other.example.com', 'token-1', NOW)).toBe(false);
    expect(revocations.isJtiRevoked(ISS, 'token-2', NOW)).toBe(false);
  });

  it('applies a revocation for any issuer to every issuer', () => {
    const revocations = cache();

    revocations.apply(jti('token-1', NOW + 60, ANY_ISSUER), NOW);
    revocations.apply(cutoff('subject', 'alice', NOW * 1000, ANY_ISSUER), NOW);
    revocations.apply(cutoff('client', 'app', NOW * 1000, ANY_ISSUER), NOW);
    revocations.apply(session('sid-1', NOW * 1000, ANY_ISSUER), NOW);

    expect(revocations.isJtiRevoked('https://a.example.com', 'token-1', NOW)).toBe(true);
    expect(revocations.subjectCutoffMs('https://b.example.com', 'alice', NOW)).toBe(NOW * 1000);
    expect(revocations.clientCutoffMs('https://c.example.com', 'app', NOW)).toBe(NOW * 1000);
    expect(revocations.isSessionRevoked('https://d.example.com', 'sid-1', NOW)).toBe(true);
    expect(revocations.sizes).toEqual({ jti: 1, subject: 1, client: 1, session: 1 });
  });

  it('combines an issuer cut-off and an any-issuer cut-off as the later one', () => {
    const revocations = cache();

    revocations.apply(cutoff('subject', 'alice', NOW * 1000 - 5000), NOW);
    revocations.apply(cutoff('subject', 'alice', NOW * 1000 - 9000, ANY_ISSUER), NOW);
    expect(revocations.subjectCutoffMs(ISS, 'alice', NOW)).toBe(NOW * 1000 - 5000);

    revocations.apply(cutoff('subject', 'alice', NOW * 1000 - 1000, ANY_ISSUER), NOW);
    expect(revocations.subjectCutoffMs(ISS, 'alice', NOW)).toBe(NOW * 1000 - 1000);
  });

  it('refuses tokens of a subject or client issued at or before the cut-off, and not after', () => {
    const revocations = cache();
    const t = NOW * 1000 - 60_500;

    revocations.apply(cutoff('subject', 'alice', t), NOW);
    revocations.apply(cutoff('client', 'app', t), NOW);

    expect(revocations.isSubjectRevoked(ISS, 'alice', NOW - 61, NOW)).toBe(true);
    expect(revocations.isSubjectRevoked(ISS, 'alice', NOW - 60, NOW)).toBe(false);
    expect(revocations.isSubjectRevoked(ISS, 'alice', undefined, NOW)).toBe(true);
    expect(revocations.isSubjectRevoked(ISS, 'bob', undefined, NOW)).toBe(false);
    expect(revocations.isClientRevoked(ISS, 'app', NOW - 61, NOW)).toBe(true);
    expect(revocations.isClientRevoked(ISS, 'app', NOW - 60, NOW)).toBe(false);
    expect(revocations.isClientRevoked('https://other.example.com', 'app', NOW - 61, NOW)).toBe(false);
  });

  it('refuses every token of a revoked session, whatever its iat, for its issuer only, until the entry expires', () => {
    const revocations = cache();
    const t = NOW * 1000 - 500;
    const expiresAt = Math.ceil(t / 1000) + RETENTION;

    expect(revocations.apply(session('sid-1', t), NOW)).toBe(true);

    expect(revocations.isSessionRevoked(ISS, 'sid-1', NOW)).toBe(true);
    expect(revocations.isSessionRevoked(ISS, 'sid-1', expiresAt - 1)).toBe(true);
    expect(revocations.isSessionRevoked(ISS, 'sid-1', expiresAt)).toBe(false);
    expect(revocations.isSessionRevoked(ISS, 'sid-2', NOW)).toBe(false);
    expect(revocations.isSessionRevoked('https://other.example.com', 'sid-1', NOW)).toBe(false);
    expect(revocations.sweep(expiresAt)).toBe(1);
    expect(revocations.sizes.session).toBe(0);
  });

  it('extends a session only to a later expiry, and keeps sessions apart from jtis, subjects and clients', () => {
    const revocations = cache();

    expect(revocations.apply(session('shared-id', NOW * 1000), NOW)).toBe(true);
    expect(revocations.apply(session('shared-id', NOW * 1000 - 5000), NOW)).toBe(false);
    expect(revocations.apply(session('shared-id', NOW * 1000), NOW)).toBe(false);
    expect(revocations.apply(session('shared-id', NOW * 1000 + 1000), NOW)).toBe(true);
    expect(revocations.isSessionRevoked(ISS, 'shared-id', NOW + RETENTION)).toBe(true);

    expect(revocations.isJtiRevoked(ISS, 'shared-id', NOW)).toBe(false);
    expect(revocations.isSubjectRevoked(ISS, 'shared-id', NOW - 10, NOW)).toBe(false);
    expect(revocations.isClientRevoked(ISS, 'shared-id', undefined, NOW)).toBe(false);
    revocations.apply(jti('only-a-jti', NOW + 60), NOW);
    expect(revocations.isSessionRevoked(ISS, 'only-a-jti', NOW)).toBe(false);
  });

  it('counts sessions in every figure over its tables: size, bytes and sweeps', () => {
    const revocations = cache();
    const empty = revocations.byteLength;
    for (let i = 0; i < 1000; i++) revocations.apply(session(`sid-${i}`, NOW * 1000, i % 2 === 0 ? ISS : ANY_ISSUER), NOW);

    expect(revocations.size).toBe(1000);
    expect(revocations.sizes).toEqual({ jti: 0, subject: 0, client: 0, session: 1000 });
    expect(revocations.byteLength).toBeGreaterThan(empty);
    expect(revocations.sweep(NOW + RETENTION)).toBe(1000);
    expect(revocations.size).toBe(0);
    expect(revocations.byteLength).toBe(empty);
  });

  it('keeps subject and client cut-offs in separate namespaces', () => {
    const revocations = cache();

    revocations.apply(cutoff('subject', 'shared-id', NOW * 1000), NOW);

    expect(revocations.subjectCutoffMs(ISS, 'shared-id', NOW)).toBe(NOW * 1000);
    expect(revocations.clientCutoffMs(ISS, 'shared-id', NOW)).toBe(-Infinity);
  });

  it('moves a cut-off only forward and extends a jti expiry only', () => {
    const revocations = cache();

    expect(revocations.apply(cutoff('client', 'app', NOW * 1000), NOW)).toBe(true);
    expect(revocations.apply(cutoff('client', 'app', NOW * 1000 - 1), NOW)).toBe(false);
    expect(revocations.apply(cutoff('client', 'app', NOW * 1000), NOW)).toBe(false);
    expect(revocations.clientCutoffMs(ISS, 'app', NOW)).toBe(NOW * 1000);
    expect(revocations.apply(cutoff('client', 'app', NOW * 1000 + 1), NOW)).toBe(true);
    expect(revocations.clientCutoffMs(ISS, 'app', NOW)).toBe(NOW * 1000 + 1);

    revocations.apply(jti('token-1', NOW + 100), NOW);
    expect(revocations.apply(jti('token-1', NOW + 50), NOW)).toBe(false);
    expect(revocations.isJtiRevoked(ISS, 'token-1', NOW + 99)).toBe(true);
  });

  it('ignores a revocation that has already expired', () => {
    const revocations = cache();

    expect(revocations.apply(jti('token-1', NOW), NOW)).toBe(false);
    expect(revocations.apply(cutoff('subject', 'alice', (NOW - RETENTION - 1) * 1000), NOW)).toBe(false);

    expect(revocations.size).toBe(0);
  });

  it('stops answering for an entry once it expires, before and after the sweep', () => {
    const revocations = cache();
    revocations.apply(jti('token-1', NOW + 10), NOW);
    revocations.apply(cutoff('subject', 'alice', NOW * 1000), NOW);

    expect(revocations.isJtiRevoked(ISS, 'token-1', NOW + 9)).toBe(true);
    expect(revocations.isJtiRevoked(ISS, 'token-1', NOW + 10)).toBe(false);
    expect(revocations.subjectCutoffMs(ISS, 'alice', NOW + RETENTION - 1)).toBe(NOW * 1000);
    expect(revocations.subjectCutoffMs(ISS, 'alice', NOW + RETENTION)).toBe(-Infinity);
    expect(revocations.size).toBe(2);

    expect(revocations.sweep(NOW + RETENTION)).toBe(2);
    expect(revocations.size).toBe(0);
  });

  it('does not confuse where the issuer ends and the id begins', () => {
    const revocations = cache();

    revocations.apply(jti('c', NOW + 60, 'ab'), NOW);

    expect(revocations.isJtiRevoked('ab', 'c', NOW)).toBe(true);
    expect(revocations.isJtiRevoked('a', 'bc', NOW)).toBe(false);
    expect(revocations.isJtiRevoked('abc', '', NOW)).toBe(false);
  });

  it('grows to hold 50,000 entries and finds every one, and none that was not added', () => {
    const revocations = cache();
    for (let i = 0; i < 50_000; i++) revocations.apply(jti(`token-${i}`, NOW + 60), NOW);

    let found = 0;
    let falsePositives = 0;
    for (let i = 0; i < 50_000; i++) {
      if (revocations.isJtiRevoked(ISS, `token-${i}`, NOW)) found++;
      if (revocations.isJtiRevoked(ISS, `other-${i}`, NOW)) falsePositives++;
    }

    expect(found).toBe(50_000);
    expect(falsePositives).toBe(0);
    expect(revocations.size).toBe(50_000);
  });

  it('keeps a jti entry under 40 bytes and a cut-off under 48 bytes at 100,000 entries', () => {
    const jtis = cache();
    const subjects = cache();
    for (let i = 0; i < 100_000; i++) {
      jtis.apply(jti(`token-${i}`, NOW + 60), NOW);
      subjects.apply(cutoff('subject', `user-${i}`, NOW * 1000), NOW);
    }

    expect(jtis.byteLength / jtis.size).toBeLessThan(40);
    expect(subjects.byteLength / subjects.size).toBeLessThan(48);
  });

  it('releases the memory of expired entries when swept, so a long-lived instance does not grow', () => {
    const revocations = cache();
    const empty = revocations.byteLength;
    for (let round = 0; round < 3; round++) {
      const now = NOW + round * 100;
      for (let i = 0; i < 30_000; i++) revocations.apply(jti(`round-${round}-${i}`, now + 50), now);
      expect(revocations.size).toBe(30_000);
      revocations.sweep(now + 50);
      expect(revocations.size).toBe(0);
    }

    expect(revocations.byteLength).toBe(empty);
  });
});

describe('HashedTable', () => {
  it('removes expired entries from the middle of probe chains without losing the live ones', () => {
    // A small table at its maximum load: long clusters, wrap-around at the end, many shifts.
    const table = new HashedTable(undefined, 12345, 256);
    const expiries = new Map<string, number>();
    for (let i = 0; i < 192; i++) {
      const expiry = NOW + 1 + (i % 7);
      table.raise('iss', `id-${i}`, expiry, NOW);
      expiries.set(`id-${i}`, expiry);
    }
    expect(table.capacity).toBe(256);

    table.sweep(NOW + 4);

    for (const [id, expiry] of expiries) {
      expect(table.liveValue('iss', id, NOW + 4) > 0, id).toBe(expiry > NOW + 4);
    }
    expect(table.size).toBe([...expiries.values()].filter((expiry) => expiry > NOW + 4).length);
  });
});

describe('RevocationCache against a Map reference model', () => {
  type Kind = 'jti' | 'subject' | 'client' | 'session';
  type Op =
    | { type: 'apply'; kind: Kind; issuer: string; id: string; offset: number; millis: number }
    | { type: 'advance'; seconds: number }
    | { type: 'sweep' };

  const issuers = ['https://a.example.com', 'https://b.example.com', ANY_ISSUER];
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 20,
      arbitrary: fc.record({
        type: fc.constant('apply' as const),
        kind: fc.constantFrom<Kind>('jti', 'subject', 'client', 'session'),
        issuer: fc.constantFrom(...issuers),
        id: fc.integer({ min: 0, max: 400 }).map((n) => `id-${n}`),
        offset: fc.integer({ min: -80, max: 80 }),
        millis: fc.integer({ min: 0, max: 999 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('advance' as const), seconds: fc.integer({ min: 0, max: 40 }) }) },
    { weight: 1, arbitrary: fc.constant({ type: 'sweep' as const }) },
  );

  it('answers every lookup as the model does under random insert, max, expire and sweep sequences', () => {
    const retention = 50;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 800 }), fc.integer(), (ops, seed) => {
        const subject = new RevocationCache({ cutoffRetentionSeconds: retention, seed: seed >>> 0 });
        // The model: kind|issuer|id → expiry in epoch s (jti, session) or T in epoch ms (cut-offs).
        const model = new Map<string, number>();
        const byExpiry = (kind: Kind) => kind === 'jti' || kind === 'session';
        const expiryOf = (kind: Kind, value: number) => (byExpiry(kind) ? value : Math.ceil(value / 1000) + retention);
        const live = (kind: Kind, issuer: string, id: string, now: number): number | undefined => {
          const value = model.get(`${kind}|${issuer}|${id}`);
          return value !== undefined && expiryOf(kind, value) > now ? value : undefined;
        };
        let now = NOW;
        const check = () => {
          for (const [key] of model) {
            const [kind, , id] = key.split('|') as [Kind, string, string];
            for (const issuer of issuers.slice(0, 2)) {
              const own = live(kind, issuer, id, now);
              const any = live(kind, ANY_ISSUER, id, now);
              if (kind === 'jti') {
                expect(subject.isJtiRevoked(issuer, id, now)).toBe(own !== undefined || any !== undefined);
              } else if (kind === 'session') {
                expect(subject.isSessionRevoked(issuer, id, now)).toBe(own !== undefined || any !== undefined);
              } else {
                const expected = Math.max(own ?? -Infinity, any ?? -Infinity);
                const actual = kind === 'subject' ? subject.subjectCutoffMs(issuer, id, now) : subject.clientCutoffMs(issuer, id, now);
                expect(actual).toBe(expected);
                const revokes = kind === 'subject' ? subject.isSubjectRevoked.bind(subject) : subject.isClientRevoked.bind(subject);
                for (const iat of [Math.floor(expected / 1000), Math.floor(expected / 1000) + 1, now - 200, undefined]) {
                  expect(revokes(issuer, id, iat, now)).toBe(expected !== -Infinity && (iat === undefined || iat * 1000 <= expected));
                }
              }
            }
          }
        };
        for (const step of ops) {
          if (step.type === 'advance') now += step.seconds;
          else if (step.type === 'sweep') {
            subject.sweep(now);
            for (const [key, value] of model) if (expiryOf(key.split('|')[0] as Kind, value) <= now) model.delete(key);
            expect(subject.size).toBe(model.size);
            check();
          } else {
            const value = byExpiry(step.kind) ? now + step.offset : (now + step.offset) * 1000 + step.millis;
            const revocation: Revocation =
              step.kind === 'jti'
                ? { kind: 'jti', issuer: step.issuer, jti: step.id, expiresAtEpochSeconds: value }
                : step.kind === 'session'
                  ? {
                      kind: 'session',
                      issuer: step.issuer,
                      id: step.id,
                      revokedAtEpochMs: (value - retention) * 1000,
                      expiresAtEpochSeconds: value,
                    }
                  : {
                      kind: step.kind,
                      issuer: step.issuer,
                      id: step.id,
                      revokedAtEpochMs: value,
                      expiresAtEpochSeconds: expiryOf(step.kind, value),
                    };
            const key = `${step.kind}|${step.issuer}|${step.id}`;
            const before = live(step.kind, step.issuer, step.id, now);
            const changes = expiryOf(step.kind, value) > now && (before === undefined || value > before);
            expect(subject.apply(revocation, now)).toBe(changes);
            if (changes) model.set(key, value);
          }
        }
        check();
      }),
      { numRuns: 150 },
    );
  });
});
