import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadAuthorizerConfig } from '../../lambda/config/index.js';
import type { MessageRules } from '../../lambda/messages/index.js';
import {
  ANY_ISSUER,
  createRevocationChecker,
  cutoffRevocation,
  jtiRevocation,
  revocationId,
  revocationIdsOf,
  sessionRevocation,
  type ReadSummary,
  type Revocation,
  type RevocationReader,
  type TokenKeys,
  type ViewRevocationChecker,
} from '../../lambda/revocation/index.js';
import { type RevocationReason, RevocationStateUnavailableError } from '../../lambda/shared/index.js';
import type { VerifiedToken } from '../../lambda/token/index.js';

/**
 * The authorizer's revocation checker (cold-start load, delta sync, compact cache, sweeps,
 * staleness) against a reference model of docs/design.md's semantics, under random streams of
 * revocations, tokens, clock jumps and table outages.
 *
 * Reference semantics: a token is refused by a jti revocation of its (issuer or '*', jti); by a
 * subject or client cut-off T of its (issuer or '*', id) when iat * 1000 <= T (or it has no iat);
 * cut-offs combine as the maximum; by a session revocation of its (issuer or '*', session id),
 * whatever its iat, while the entry lives (until ceil(T / 1000) + lifetime + tolerance, compared
 * with whole seconds of now). Expiry is otherwise not part of the reference: the test only presents
 * tokens the verifier would accept (exp - iat <= lifetime, exp > now - tolerance), so a jti or
 * cut-off entry that expires while such a token is still presented is a bug.
 *
 * Revocations are made by the ingest's own constructors (lambda/revocation/revocation.ts), so their TTLs are
 * the ones the ingest writes.
 */

const SEED = 0x5eed;
const ISSUERS = ['https://a.example/', 'https://b.example/'] as const;
const LIFETIME_SECONDS = 600;
const TOLERANCE_SECONDS = 60;
const INTERVAL_MS = 1000;
const STALENESS_MS = 5000;
const START_MS = 1_800_000_000_000;

/** The table as DynamoDB holds it: monotonic writes, change stamps, expired items filtered on read. */
class ModelTable implements RevocationReader {
  readonly items = new Map<string, { revocation: Revocation; updatedAtMs: number }>();
  failing = false;
  /** Clock and write sequence number at the start of the last read that succeeded. */
  lastSuccess: { clockMs: number; writes: number } | undefined;
  lastFailureMs = -Infinity;
  writes = 0;

  constructor(private readonly clock: () => number) {}

  write(revocation: Revocation): void {
    this.writes++;
    const id = revocationId(revocation);
    const key = `${revocation.kind}|${revocation.issuer}|${id}`;
    const stored = this.items.get(key)?.revocation;
    const newer =
      stored === undefined ||
      (revocation.kind === 'jti' || revocation.kind === 'session'
        ? stored.expiresAtEpochSeconds < revocation.expiresAtEpochSeconds
        : (stored as { revokedAtEpochMs: number }).revokedAtEpochMs < revocation.revokedAtEpochMs);
    if (newer) this.items.set(key, { revocation, updatedAtMs: this.clock() });
  }

  private read(
    filter: (updatedAtMs: number) => boolean,
    nowEpochSeconds: number,
    visit: (revocation: Revocation) => void,
  ): Promise<ReadSummary> {
    if (this.failing) {
      this.lastFailureMs = this.clock();
      return Promise.reject(new Error('ECONNREFUSED (model outage)'));
    }
    const started = { clockMs: this.clock(), writes: this.writes };
    const summary = { items: 0, expired: 0, skipped: 0 };
    for (const { revocation, updatedAtMs } of this.items.values()) {
      if (!filter(updatedAtMs)) continue;
      if (revocation.expiresAtEpochSeconds > nowEpochSeconds) {
        summary.items++;
        visit(revocation);
      } else summary.expired++;
    }
    this.lastSuccess = started;
    return Promise.resolve(summary);
  }

  scanLive(_segments: number, nowEpochSeconds: number, visit: (revocation: Revocation) => void): Promise<ReadSummary> {
    return this.read(() => true, nowEpochSeconds, visit);
  }

  queryChanges(sinceEpochMs: number, nowEpochSeconds: number, visit: (revocation: Revocation) => void): Promise<ReadSummary> {
    const since = Number.isFinite(sinceEpochMs) ? Math.max(0, Math.floor(sinceEpochMs)) : 0;
    return this.read((updatedAtMs) => updatedAtMs > since, nowEpochSeconds, visit);
  }

  getForToken(_token: TokenKeys, _nowEpochSeconds: number): Promise<Revocation[]> {
    return Promise.reject(new Error('strong consistency is not modelled'));
  }
}

/**
 * The reference: the decision docs/design.md asks for, given every revocation written so far. A token
 * without iat (possible only when an operator removes iat from JWT_REQUIRED_CLAIMS) cannot be
 * placed before or after T, so it is refused by a cut-off only while that cut-off is kept
 * (T + lifetime + tolerance); `nowSeconds` leaves a second of rounding either way. A session
 * refuses while its entry lives at `nowSeconds` (the view compares whole seconds); without
 * `nowSeconds`, at any time.
 */
function reference(token: VerifiedToken, revocations: readonly Revocation[], nowSeconds?: number): RevocationReason | undefined {
  const applies = (issuer: string) => issuer === token.issuer || issuer === ANY_ISSUER;
  if (revocations.some((r) => r.kind === 'jti' && r.jti === token.tokenId && applies(r.issuer))) return 'revoked_jti';
  const cutoff = (kind: 'subject' | 'client', id: string | undefined) => {
    if (id === undefined) return false;
    const times = revocations
      .filter((r) => r.kind === kind && r.id === id && applies(r.issuer))
      .map((r) => (r as { revokedAtEpochMs: number }).revokedAtEpochMs);
    if (token.issuedAtEpochSeconds === undefined) {
      const kept = (t: number) => nowSeconds === undefined || t / 1000 + LIFETIME_SECONDS + TOLERANCE_SECONDS > nowSeconds + 1;
      return times.some(kept);
    }
    return times.some((t) => token.issuedAtEpochSeconds! * 1000 <= t);
  };
  if (cutoff('subject', token.subject)) return 'revoked_subject';
  if (cutoff('client', token.clientId)) return 'revoked_client';
  if (sessionRefuses(token, revocations, nowSeconds)) return 'revoked_session';
  return undefined;
}

/** Whether a session revocation of the token's session (its issuer's or any issuer's) lives at `nowSeconds` (any time when undefined). */
function sessionRefuses(token: VerifiedToken, revocations: readonly Revocation[], nowSeconds?: number): boolean {
  const session = token.sessionId;
  if (session === undefined) return false;
  const live = (expiresAt: number) => nowSeconds === undefined || expiresAt > Math.floor(nowSeconds);
  return revocations.some(
    (r) =>
      r.kind === 'session' && r.id === session && (r.issuer === token.issuer || r.issuer === ANY_ISSUER) && live(r.expiresAtEpochSeconds),
  );
}

type Op =
  | { type: 'revoke-jti'; issuer: number; jti: number }
  | { type: 'revoke-cutoff'; kind: 'subject' | 'client'; issuer: number; id: number; agoMs: number }
  | { type: 'revoke-session'; issuer: number; id: number; agoMs: number }
  | {
      type: 'check';
      issuer: number;
      jti: number;
      subject: number;
      client: number;
      /** 6 and up: a token without the session claim. */
      session: number;
      ageMs: number;
      lifetimeMs: number;
      noIat: boolean;
    }
  | { type: 'advance'; ms: number }
  | { type: 'outage'; on: boolean }
  | { type: 'cold-start' }
  /** A token refused by one of the cut-offs written, presented in the last second of its life. */
  | { type: 'end-of-life'; pick: number; iatBeforeMs: number; beforeEndMs: number }
  /** A fresh token of a revoked session, presented around the moment its entry may go. */
  | { type: 'session-end'; pick: number; offsetMs: number };

const ids = fc.integer({ min: 0, max: 5 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('revoke-jti' as const),
      issuer: fc.integer({ min: 0, max: 2 }),
      jti: fc.integer({ min: 0, max: 30 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('revoke-cutoff' as const),
      kind: fc.constantFrom('subject' as const, 'client' as const),
      issuer: fc.integer({ min: 0, max: 2 }),
      id: ids,
      // Up to a lifetime ago, or a little in the future (the ingest clamps to now).
      agoMs: fc.oneof(fc.integer({ min: -90_000, max: LIFETIME_SECONDS * 1000 }), fc.constantFrom(0, 500, 999, 1000, 1001)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('revoke-session' as const),
      issuer: fc.integer({ min: 0, max: 2 }),
      id: ids,
      agoMs: fc.oneof(fc.integer({ min: -90_000, max: LIFETIME_SECONDS * 1000 }), fc.constantFrom(0, 500, 999, 1000, 1001)),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      type: fc.constant('check' as const),
      issuer: fc.integer({ min: 0, max: 1 }),
      jti: fc.integer({ min: 0, max: 30 }),
      subject: ids,
      client: ids,
      session: fc.integer({ min: 0, max: 7 }),
      // iat up to a lifetime ago (fractional ms included), exp up to a lifetime after iat.
      ageMs: fc.oneof(fc.integer({ min: -TOLERANCE_SECONDS * 1000, max: LIFETIME_SECONDS * 1000 }), fc.integer({ min: 0, max: 3000 })),
      lifetimeMs: fc.oneof(fc.integer({ min: 1, max: LIFETIME_SECONDS * 1000 }), fc.constant(LIFETIME_SECONDS * 1000)),
      noIat: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 120_000 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('outage' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ type: 'cold-start' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('end-of-life' as const),
      pick: fc.nat(),
      iatBeforeMs: fc.constantFrom(0, 1, 100, 400, 999, 1000, 1500),
      beforeEndMs: fc.integer({ min: 1, max: 1000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('session-end' as const),
      pick: fc.nat(),
      offsetMs: fc.oneof(fc.integer({ min: -1500, max: 1500 }), fc.constantFrom(-1000, -1, 0, 1, 999, 1000)),
    }),
  },
);

/** The jti universe: each jti is one token with one iat and exp, as in real life. */
function jtiToken(index: number, startMs: number): { iat: number; exp: number } {
  const iat = startMs / 1000 - LIFETIME_SECONDS + index * 97.125;
  return { iat, exp: iat + LIFETIME_SECONDS };
}

async function answer(
  checker: ViewRevocationChecker,
  token: VerifiedToken,
  nowMs: number,
): Promise<RevocationReason | undefined | 'unavailable'> {
  try {
    const found = checker.findRevocation(token, nowMs);
    return await found;
  } catch (error) {
    if (error instanceof RevocationStateUnavailableError) return 'unavailable';
    throw error;
  }
}

describe('the revocation checker against the reference model', () => {
  it.each([
    ['no overlap, sweeps at every sync', '0', 0],
    ['the default overlap, sweeps every 30 s', '5000', 30_000],
  ] as const)(
    'agrees with docs/design.md semantics under random revocations, tokens, clock jumps and outages (%s)',
    async (_name, overlapMs, sweepIntervalMs) => {
      const config = loadAuthorizerConfig({
        JWT_ISSUER: ISSUERS.join(','),
        JWKS_URI: 'https://a.example/jwks.json',
        JWT_AUDIENCE: 'api',
        JWT_MAX_TOKEN_LIFETIME_SECONDS: String(LIFETIME_SECONDS),
        JWT_CLOCK_TOLERANCE_SECONDS: String(TOLERANCE_SECONDS),
        REVOCATION_SYNC_INTERVAL_MS: String(INTERVAL_MS),
        REVOCATION_MAX_STALENESS_MS: String(STALENESS_MS),
        REVOCATION_SYNC_OVERLAP_MS: overlapMs,
      });
      let checks = 0;
      let refusals = 0;
      let endOfLife = 0;
      let sessionEnds = 0;
      let sessionRefusals = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 60, maxLength: 200 }), async (ops) => {
          let clock = START_MS;
          const table = new ModelTable(() => clock);
          /** Every revocation written, in order, with the table's write count after it. */
          const written: { revocation: Revocation; sequence: number }[] = [];
          const newChecker = () =>
            createRevocationChecker({
              reader: table,
              settings: config.revocation,
              rules: config.rules,
              now: () => clock,
              monotonicNow: () => clock,
              sweepIntervalMs,
            });
          let checker = newChecker();
          await checker.load();
          const rules = (): MessageRules => ({
            nowMs: clock,
            clockToleranceSeconds: TOLERANCE_SECONDS,
            maxTokenLifetimeSeconds: LIFETIME_SECONDS,
          });
          const issuerOf = (index: number) => (index === 2 ? ANY_ISSUER : ISSUERS[index]!);

          const check = async (fields: Omit<VerifiedToken, 'revocationIds'>): Promise<void> => {
            const token: VerifiedToken = {
              ...fields,
              revocationIds: revocationIdsOf(fields.tokenId, fields.subject, fields.clientId, [], fields.sessionId),
            };
            checks++;
            const nowSeconds = clock / 1000;
            const got = await answer(checker, token, clock);
            const everything = reference(
              token,
              written.map((entry) => entry.revocation),
            );
            const viewAgeMs = table.lastSuccess === undefined ? Infinity : clock - table.lastSuccess.clockMs;
            if (got === 'unavailable') {
              // Fail closed only when the view really is too old (or was never loaded).
              expect(viewAgeMs).toBeGreaterThan(STALENESS_MS);
              return;
            }
            // Never answer from a view older than the staleness bound.
            expect(viewAgeMs).toBeLessThanOrEqual(STALENESS_MS);
            // Everything written before the last successful read is enforced...
            const seen = written.filter((entry) => entry.sequence <= table.lastSuccess!.writes).map((entry) => entry.revocation);
            const mustRefuse = reference(token, seen, nowSeconds);
            if (mustRefuse !== undefined) {
              expect(got, `${JSON.stringify(token)} must be refused (${mustRefuse})`).toBeDefined();
              if (mustRefuse === 'revoked_jti') expect(got).toBe('revoked_jti');
            }
            // ... and nothing is refused that no revocation refuses (a session's entry no longer lives).
            if (everything === undefined) expect(got).toBeUndefined();
            if (got === 'revoked_session') {
              const entries = written.map((entry) => entry.revocation);
              expect(sessionRefuses(token, entries, nowSeconds), `${JSON.stringify(token)}: no session entry lives`).toBe(true);
            }
            if (got !== undefined) refusals++;
            if (got === 'revoked_session') sessionRefusals++;
            // With the table up (and an interval since it last failed), the view is never older
            // than one sync interval after a check.
            if (!table.failing && clock - table.lastFailureMs >= INTERVAL_MS)
              expect(clock - table.lastSuccess!.clockMs).toBeLessThan(INTERVAL_MS);
          };

          for (const step of ops) {
            switch (step.type) {
              case 'revoke-jti': {
                const { exp } = jtiToken(step.jti, START_MS);
                // What the ingest writes for a whole token: kept until exp + tolerance.
                const revocation = jtiRevocation(issuerOf(step.issuer), `jti-${step.jti}`, Math.ceil(exp), rules());
                table.write(revocation);
                written.push({ revocation, sequence: table.writes });
                break;
              }
              case 'revoke-cutoff': {
                // The ingest clamps a future time to now, and reads whole ms.
                const t = Math.min(Math.floor(clock - step.agoMs), clock);
                const revocation = cutoffRevocation(step.kind, issuerOf(step.issuer), `${step.kind}-${step.id}`, t, rules());
                table.write(revocation);
                written.push({ revocation, sequence: table.writes });
                break;
              }
              case 'revoke-session': {
                const t = Math.min(Math.floor(clock - step.agoMs), clock);
                const revocation = sessionRevocation(issuerOf(step.issuer), `session-${step.id}`, t, rules());
                table.write(revocation);
                written.push({ revocation, sequence: table.writes });
                break;
              }
              case 'advance':
                clock += step.ms;
                break;
              case 'outage':
                table.failing = step.on;
                break;
              case 'cold-start': {
                checker = newChecker();
                table.lastSuccess = undefined;
                const loaded = await checker.load().then(
                  () => true,
                  () => false,
                );
                expect(loaded).toBe(!table.failing);
                break;
              }
              case 'end-of-life': {
                const cutoffs = written
                  .map((entry) => entry.revocation)
                  .filter((r): r is Extract<Revocation, { kind: 'subject' | 'client' }> => r.kind === 'subject' || r.kind === 'client');
                if (cutoffs.length === 0) break;
                const cutoff = cutoffs[step.pick % cutoffs.length]!;
                const iat = (cutoff.revokedAtEpochMs - step.iatBeforeMs) / 1000;
                const exp = iat + LIFETIME_SECONDS;
                // The last second in which the verifier still accepts it: exp + tolerance > now.
                const target = Math.ceil((exp + TOLERANCE_SECONDS) * 1000 - step.beforeEndMs);
                if (target <= clock || target >= (exp + TOLERANCE_SECONDS) * 1000) break;
                clock = target;
                const issuer = cutoff.issuer === ANY_ISSUER ? ISSUERS[step.pick % 2]! : cutoff.issuer;
                await check({
                  issuer,
                  tokenId: `end-of-life-${checks}`,
                  signatureIds: [],
                  sub: undefined,
                  subject: cutoff.kind === 'subject' ? cutoff.id : 'nobody',
                  subjectClaim: 'sub',
                  clientId: cutoff.kind === 'client' ? cutoff.id : 'no-client',
                  sessionId: undefined,
                  issuedAtEpochSeconds: iat,
                  expiresAtEpochSeconds: exp,
                  scope: undefined,
                  claims: {},
                });
                endOfLife++;
                break;
              }
              case 'session-end': {
                const sessions = written
                  .map((entry) => entry.revocation)
                  .filter((r): r is Extract<Revocation, { kind: 'session' }> => r.kind === 'session');
                if (sessions.length === 0) break;
                const session = sessions[step.pick % sessions.length]!;
                const target = session.expiresAtEpochSeconds * 1000 + step.offsetMs;
                if (target <= clock) break;
                clock = target;
                // Issued just now, so the verifier accepts it whatever T was: only the entry's life decides.
                const iat = clock / 1000 - 5;
                await check({
                  issuer: session.issuer === ANY_ISSUER ? ISSUERS[step.pick % 2]! : session.issuer,
                  tokenId: `session-end-${checks}`,
                  signatureIds: [],
                  sub: undefined,
                  subject: 'nobody',
                  subjectClaim: 'sub',
                  clientId: 'no-client',
                  sessionId: session.id,
                  issuedAtEpochSeconds: iat,
                  expiresAtEpochSeconds: iat + 60,
                  scope: undefined,
                  claims: {},
                });
                sessionEnds++;
                break;
              }
              case 'check': {
                const nowSeconds = clock / 1000;
                // A token the verifier accepts now: iat not beyond now + tolerance, exp not past now - tolerance.
                const jti = jtiToken(step.jti, START_MS);
                const useJti = jti.exp > nowSeconds - TOLERANCE_SECONDS && jti.iat <= nowSeconds + TOLERANCE_SECONDS;
                const iat = useJti ? jti.iat : (clock - step.ageMs) / 1000;
                const exp = useJti ? jti.exp : iat + step.lifetimeMs / 1000;
                if (!(exp > nowSeconds - TOLERANCE_SECONDS) || iat > nowSeconds + TOLERANCE_SECONDS) break;
                const token: Omit<VerifiedToken, 'revocationIds'> = {
                  issuer: ISSUERS[step.issuer]!,
                  tokenId: useJti ? `jti-${step.jti}` : `fresh-${checks}`,
                  signatureIds: [],
                  sub: undefined,
                  subject: `subject-${step.subject}`,
                  subjectClaim: 'sub',
                  clientId: `client-${step.client}`,
                  sessionId: step.session < 6 ? `session-${step.session}` : undefined,
                  issuedAtEpochSeconds: step.noIat && !useJti ? undefined : iat,
                  expiresAtEpochSeconds: exp,
                  scope: undefined,
                  claims: {},
                };
                await check(token);
                break;
              }
            }
          }
        }),
        { seed: SEED, numRuns: 200 },
      );
      // The streams must exercise both answers, or agreement would be trivial.
      expect(checks).toBeGreaterThan(5000);
      expect(refusals).toBeGreaterThan(500);
      expect(endOfLife).toBeGreaterThan(200);
      expect(sessionEnds).toBeGreaterThan(200);
      expect(sessionRefusals).toBeGreaterThan(200);
    },
  );
});
