import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { type MessageRules, readRevocationMessage } from '../../../lambda/messages/index.js';
import type { Revocation } from '../../../lambda/revocation/index.js';
import { InvalidMessageError } from '../../../lambda/shared/index.js';
import {
  APP,
  FIXTURE_NOW_MS,
  JAVA_LONG_MAX,
  jsonOutputMapperBody,
  REVOCATION_TIME_MS,
  USER,
  WSO2_FIXTURES,
  wso2Fixture,
  type Wso2BodyFixture,
} from '../../fixtures/wso2/bodies.js';

/**
 * The WSO2 bodies of test/fixtures/wso2/bodies.ts (rebuilt from carbon-apimgt, apim-km-wso2is and
 * carbon-analytics-common; its README cites the lines) read by the message parser, at the
 * fixtures' clock.
 */

const TOLERANCE = 60;
const LIFETIME = 86_400;
const rules: MessageRules = { nowMs: FIXTURE_NOW_MS, clockToleranceSeconds: TOLERANCE, maxTokenLifetimeSeconds: LIFETIME };
const NOW_S = FIXTURE_NOW_MS / 1000;
/** Where a jti whose expiry is unknown is kept until: no token accepted now outlives it. */
const KEPT_FOR_MAX_LIFETIME = Math.ceil(NOW_S) + LIFETIME + TOLERANCE;

function refusal(body: string): InvalidMessageError {
  try {
    readRevocationMessage(body, {}, rules);
  } catch (error) {
    if (error instanceof InvalidMessageError) return error;
    throw error;
  }
  throw new Error('expected the message to be refused, it was accepted');
}

/** The body with its payload changed (the fixture's own builder, so the bytes stay WSO2's). */
function variant(fixture: Wso2BodyFixture, changes: Partial<NonNullable<Wso2BodyFixture['payload']>>): string {
  return jsonOutputMapperBody({ ...fixture.payload!, ...changes });
}

/** What the fixture's disposition says the parser must make of it. */
function expected(fixture: Wso2BodyFixture): Revocation[] {
  const inner = fixture.inner === undefined ? undefined : (JSON.parse(fixture.inner.json) as Record<string, string>);
  switch (fixture.disposition) {
    case 'client-cutoff':
      return [
        {
          kind: 'client',
          issuer: '*',
          id: inner!.consumer_key!,
          revokedAtEpochMs: Number(inner!.revocationTime),
          expiresAtEpochSeconds: Math.ceil(Number(inner!.revocationTime) / 1000) + LIFETIME + TOLERANCE,
        },
      ];
    case 'subject-cutoff':
      return [
        {
          kind: 'subject',
          issuer: '*',
          id: inner!.entityId!,
          revokedAtEpochMs: Number(inner!.revocationTime),
          expiresAtEpochSeconds: Math.ceil(Number(inner!.revocationTime) / 1000) + LIFETIME + TOLERANCE,
        },
      ];
    case 'not-applicable':
      return [];
    default: {
      const revokedToken = fixture.payload?.revokedToken ?? (JSON.parse(fixture.body) as { revokedToken: string }).revokedToken;
      const expiryMs = fixture.payload?.expiryTime ?? BigInt((JSON.parse(fixture.body) as { expiryTime?: number }).expiryTime ?? 0);
      const plausible = expiryMs > BigInt(FIXTURE_NOW_MS) && expiryMs <= BigInt(FIXTURE_NOW_MS + LIFETIME * 1000);
      const expiresAt = plausible ? Math.ceil(Number(expiryMs) / 1000) + TOLERANCE : KEPT_FOR_MAX_LIFETIME;
      return [{ kind: 'jti', issuer: '*', jti: revokedToken, expiresAtEpochSeconds: expiresAt }];
    }
  }
}

describe('WSO2 messages as WSO2 publishes them', () => {
  it.each(WSO2_FIXTURES.map((fixture) => [fixture.id, fixture] as const))('reads %s as its disposition says', (_id, fixture) => {
    // Act
    const read = readRevocationMessage(fixture.body, {}, rules);

    // Assess
    expect(read.revocations).toEqual(expected(fixture));
    expect(read.notApplicable !== undefined).toBe(fixture.disposition === 'not-applicable');
  });

  it('reads the indirect events of the fixtures as a client cut-off on the consumer key and subject cut-offs on the entity ids', () => {
    const kinds = ['app-revocation', 'user-revocation', 'client-revocation'].map((id) => {
      const [revocation] = readRevocationMessage(wso2Fixture(id).body, {}, rules).revocations;
      return revocation!.kind === 'jti' ? undefined : [revocation!.kind, revocation!.id, revocation!.revokedAtEpochMs];
    });
    expect(kinds).toEqual([
      ['client', APP, REVOCATION_TIME_MS],
      ['subject', USER, REVOCATION_TIME_MS],
      ['subject', APP, REVOCATION_TIME_MS],
    ]);
  });

  it('says why a Default event writes nothing, without its token', () => {
    const fixture = wso2Fixture('default-opaque');
    const read = readRevocationMessage(fixture.body, {}, rules);
    expect(read.notApplicable).toEqual({
      type: 'Default',
      path: 'event.payloadData.type',
      detail: expect.stringContaining('opaque'),
      eventId: fixture.payload!.eventId,
    });
    expect(JSON.stringify(read)).not.toContain(fixture.payload!.revokedToken);
  });
});

describe('WSO2 ttl and expiryTime', () => {
  it.each(['jwt-by-jti', 'jwt-unlimited-validity', 'api-key'])('never lets ttl shorten the %s revocation', (id) => {
    // Prepare: the notifier's ttl as shipped ("5000"), its code fallback ("3600"), and a tiny one.
    const fixture = wso2Fixture(id);
    const bodies = ['5000', '3600', '1', '0'].map((ttl) => variant(fixture, { ttl }));

    // Act
    const expiries = bodies.map((body) => readRevocationMessage(body, {}, rules).revocations.map((r) => r.expiresAtEpochSeconds));

    // Assess
    expect(new Set(expiries.map((each) => JSON.stringify(each))).size).toBe(1);
    expect(expiries[0]![0]).toBeGreaterThan(NOW_S + 3000);
  });

  it('keeps a flat {revokedToken, ttl} jti for the maximum lifetime, whatever its ttl', () => {
    const expiries = ['"5"', '"3600"', '5', '"not a number"'].map(
      (ttl) => readRevocationMessage(`{"revokedToken":"c1f2a3b4","ttl":${ttl}}`, {}, rules).revocations[0]!.expiresAtEpochSeconds,
    );
    expect(expiries).toEqual([KEPT_FOR_MAX_LIFETIME, KEPT_FOR_MAX_LIFETIME, KEPT_FOR_MAX_LIFETIME, KEPT_FOR_MAX_LIFETIME]);
  });

  it('reads expiryTime Long.MAX_VALUE, as the bare 19 digits and as a string, without refusing it', () => {
    const fixture = wso2Fixture('jwt-unlimited-validity');
    expect(fixture.body).toContain(`"expiryTime":${JAVA_LONG_MAX}`);
    const asString = fixture.body.replace(`"expiryTime":${JAVA_LONG_MAX}`, `"expiryTime":"${JAVA_LONG_MAX}"`);

    const expiries = [fixture.body, asString].map((body) => readRevocationMessage(body, {}, rules).revocations[0]!.expiresAtEpochSeconds);

    expect(expiries).toEqual([KEPT_FOR_MAX_LIFETIME, KEPT_FOR_MAX_LIFETIME]);
  });

  it('keeps a jti until now + maximum lifetime when expiryTime is 0, negative, past, unsafe or beyond the maximum lifetime', () => {
    const fixture = wso2Fixture('jwt-by-jti');
    const odd = [0n, -1n, BigInt(FIXTURE_NOW_MS - 1), 2n ** 60n, BigInt(FIXTURE_NOW_MS + LIFETIME * 1000 + 1)];
    const expiries = odd.map(
      (expiryTime) => readRevocationMessage(variant(fixture, { expiryTime }), {}, rules).revocations[0]!.expiresAtEpochSeconds,
    );
    expect(expiries).toEqual(odd.map(() => KEPT_FOR_MAX_LIFETIME));
  });

  it('uses an expiryTime more than a year ahead when the configured maximum token lifetime allows it', () => {
    // Prepare
    const twoYears = 2 * 366 * 86_400;
    const expiryMs = FIXTURE_NOW_MS + 400 * 86_400_000;
    const body = variant(wso2Fixture('jwt-by-jti'), { expiryTime: BigInt(expiryMs) });

    // Act
    const [revocation] = readRevocationMessage(body, {}, { ...rules, maxTokenLifetimeSeconds: twoYears }).revocations;

    // Assess
    expect(revocation!.expiresAtEpochSeconds).toBe(expiryMs / 1000 + TOLERANCE);
  });

  it('refuses an expiryTime that is no number at all', () => {
    const body = wso2Fixture('jwt-by-jti').body.replace(/"expiryTime":\d+/, '"expiryTime":"tomorrow"');
    expect(refusal(body)).toMatchObject({ reason: 'invalid_time', path: 'event.payloadData.expiryTime' });
  });
});

describe('WSO2 spellings', () => {
  it('accepts the upper-case types and consumerKey documented before, with the same meaning', () => {
    // Prepare
    const inner = (json: string) => Buffer.from(json).toString('base64');
    const legacyApp = variant(wso2Fixture('app-revocation'), {
      type: 'CONSUMER_APP_REVOCATION_EVENT',
      revokedToken: inner(`{"consumerKey":"${APP}","revocationTime":"${REVOCATION_TIME_MS}"}`),
    });
    const legacyUser = variant(wso2Fixture('user-revocation'), { type: 'SUBJECT_ENTITY_REVOCATION_EVENT' });

    // Act
    const read = [legacyApp, legacyUser].map((body) => readRevocationMessage(body, {}, rules).revocations);

    // Assess
    expect(read).toEqual([expected(wso2Fixture('app-revocation')), expected(wso2Fixture('user-revocation'))]);
  });

  it('refuses a type WSO2 never sends, and the batch signal whose revocations are not in the message', () => {
    const unknown = variant(wso2Fixture('jwt-by-jti'), { type: 'jwt' });
    const batch = variant(wso2Fixture('jwt-by-jti'), { type: 'token_revocation_batch', revokedToken: '' });
    expect([refusal(unknown), refusal(batch)].map((error) => [error.reason, error.path])).toEqual([
      ['unknown_type', 'event.payloadData.type'],
      ['unknown_type', 'event.payloadData.type'],
    ]);
    expect(refusal(batch).message).toMatch(/control plane/);
  });
});
