import { Buffer } from 'node:buffer';
import { generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  APP,
  FIXTURE_NOW_MS,
  JAVA_LONG_MAX,
  REVOCATION_TIME_MS,
  TOKEN_REVOCATION_STREAM_ATTRIBUTES,
  WHOLE_SECOND_REVOCATION_TIME_MS,
  WSO2_FIXTURES,
  jacksonStringMapJson,
  javaHashMapBucket,
  javaHashMapKeyOrder,
  javaStringHashCode,
  jwtSignatureRevocationBody,
  wso2Fixture,
  type Decision,
  type Wso2BodyFixture,
} from './fixtures/wso2/bodies.js';

/**
 * Output of OpenJDK 17 running the WSO2 code paths with the real libraries (java.util.HashMap,
 * Jackson databind 2.14.0, commons-codec 1.15, Gson 2.10): TokenRevocationNotifierImpl@9ccd837e
 * lines 70-105 (maps, Jackson, Base64) and JSONOutputMapper@02415b4d lines 125-139 and 190-227
 * (template, splice), with the fixture's inputs. See test/fixtures/wso2/README.md.
 */
const JAVA_EMITTED = {
  hashCodes: { consumer_key: -840538474, revocationTime: -135507061, entityId: -2102099874, entityType: -1482998339 },
  appOrder: ['consumer_key', 'revocationTime'],
  subjectOrder: ['entityType', 'revocationTime', 'entityId'],
  bodies: {
    'app-revocation':
      '{"event":{"payloadData":{"eventId":"5d0c8f2e-3b1a-4c6d-8e9f-0a1b2c3d4e5f","revokedToken":"eyJjb25zdW1lcl9rZXkiOiJIeDFUZkNwV0FxRnFfdG5OUlhSblJBTVhONklhIiwicmV2b2NhdGlvblRpbWUiOiIxNzY3MjI1NjAwNTAwIn0=","ttl":"5000","expiryTime":0,"type":"consumer_app_revocation_event","tenantId":-1234}}}',
    'user-revocation':
      '{"event":{"payloadData":{"eventId":"6e1d9f3a-4c2b-4d7e-9fa0-1b2c3d4e5f60","revokedToken":"eyJlbnRpdHlUeXBlIjoiVVNFUl9JRCIsInJldm9jYXRpb25UaW1lIjoiMTc2NzIyNTYwMDUwMCIsImVudGl0eUlkIjoiOGI0YzZkMGUtMmYzYS00YjVjLTlkNmUtN2Y4MDkxYTJiM2M0In0=","ttl":"5000","expiryTime":0,"type":"subject_entity_revocation_event","tenantId":-1234}}}',
    'client-revocation':
      '{"event":{"payloadData":{"eventId":"7f2ea04b-5d3c-4e8f-a0b1-2c3d4e5f6071","revokedToken":"eyJlbnRpdHlUeXBlIjoiQ0xJRU5UX0lEIiwicmV2b2NhdGlvblRpbWUiOiIxNzY3MjI1NjAwNTAwIiwiZW50aXR5SWQiOiJIeDFUZkNwV0FxRnFfdG5OUlhSblJBTVhONklhIn0=","ttl":"5000","expiryTime":0,"type":"subject_entity_revocation_event","tenantId":-1234}}}',
    'user-revocation-whole-second':
      '{"event":{"payloadData":{"eventId":"802fb15c-6e4d-4f90-b1c2-3d4e5f607182","revokedToken":"eyJlbnRpdHlUeXBlIjoiVVNFUl9JRCIsInJldm9jYXRpb25UaW1lIjoiMTc2NzIyNTYwMDAwMCIsImVudGl0eUlkIjoiOGI0YzZkMGUtMmYzYS00YjVjLTlkNmUtN2Y4MDkxYTJiM2M0In0=","ttl":"5000","expiryTime":0,"type":"subject_entity_revocation_event","tenantId":-1234}}}',
    'jwt-by-jti':
      '{"event":{"payloadData":{"eventId":"9130c26d-7f5e-4a01-82d3-4e5f60718293","revokedToken":"c1f2a3b4-d5e6-4f70-8192-a3b4c5d6e7f8","ttl":"5000","expiryTime":1767229200000,"type":"JWT","tenantId":-1234}}}',
    'jwt-by-jti-code-fallback-ttl':
      '{"event":{"payloadData":{"eventId":"a241d37e-8a6f-4b12-93e4-5f60718293a4","revokedToken":"c1f2a3b4-d5e6-4f70-8192-a3b4c5d6e7f8","ttl":"3600","expiryTime":1767229200000,"type":"JWT","tenantId":-1234}}}',
    'jwt-unlimited-validity':
      '{"event":{"payloadData":{"eventId":"b352e48f-9b70-4c23-a4f5-60718293a4b5","revokedToken":"d2e3f4a5-b6c7-4d8e-9fa0-b1c2d3e4f5a6","ttl":"5000","expiryTime":9223372036854775807,"type":"JWT","tenantId":-1234}}}',
    'api-key':
      '{"event":{"payloadData":{"eventId":"c463f590-ac81-4d34-b506-718293a4b5c6","revokedToken":"e3f4a5b6-c7d8-4e9f-a0b1-c2d3e4f5a6b7","ttl":"5000","expiryTime":9223372036854775807,"type":"API_KEY","tenantId":-1234}}}',
    'default-opaque':
      '{"event":{"payloadData":{"eventId":"d574a6a1-bd92-4e45-8617-8293a4b5c6d7","revokedToken":"4f8c1d2e-9a3b-3c5d-8e7f-6a5b4c3d2e1f","ttl":"5000","expiryTime":1767229200000,"type":"Default","tenantId":-1234}}}',
  } as Record<string, string>,
};

const envelopes = WSO2_FIXTURES.filter((fixture) => fixture.derivation === 'wso2-code-path');
const indirect = WSO2_FIXTURES.filter((fixture) => fixture.inner !== undefined);

function innerOf(fixture: Wso2BodyFixture): Record<string, string> {
  return JSON.parse(Buffer.from(fixture.payload!.revokedToken, 'base64').toString('utf8')) as Record<string, string>;
}

/**
 * WSO2's current gateway decision for the indirect events, restated from JWTValidator@d2c5200a
 * lines 235-284 and RevokedJWTDataHolder lines 90-139, to check every case's `expect`.
 */
function wso2IndirectDecision(fixture: Wso2BodyFixture, claims: Readonly<Record<string, string | number>>): Decision {
  const inner = innerOf(fixture);
  const revokedAt = Number(inner.revocationTime);
  const iatMs = Number(claims.iat) * 1000;
  const azp = claims.azp;
  const entityId = claims.entity_id;
  if (azp === undefined || entityId === undefined) return 'allow';
  const before = revokedAt > iatMs; // Timestamp(T).after(Timestamp(iat ms))
  if (fixture.payload!.type === 'consumer_app_revocation_event') return azp === inner.consumer_key && before ? 'deny' : 'allow';
  if (inner.entityType === 'CLIENT_ID') return entityId === azp && entityId === inner.entityId && before ? 'deny' : 'allow';
  return entityId !== azp && entityId === inner.entityId && before ? 'deny' : 'allow';
}

describe('the WSO2 fixture builders', () => {
  it('compute String.hashCode as Java does', () => {
    for (const [key, hash] of Object.entries(JAVA_EMITTED.hashCodes)) expect(javaStringHashCode(key)).toBe(hash);
  });

  it('order HashMap keys by bucket as a default HashMap iterates them', () => {
    expect(javaHashMapBucket('consumer_key')).toBeLessThan(javaHashMapBucket('revocationTime'));
    expect(javaHashMapKeyOrder(['consumer_key', 'revocationTime'])).toEqual(JAVA_EMITTED.appOrder);
    expect(javaHashMapKeyOrder(['entityId', 'entityType', 'revocationTime'])).toEqual(JAVA_EMITTED.subjectOrder);
    // Insertion order does not matter across buckets: the same keys put the other way round.
    expect(javaHashMapKeyOrder(['revocationTime', 'entityType', 'entityId'])).toEqual(JAVA_EMITTED.subjectOrder);
  });

  it('refuse more keys than a default HashMap holds before it resizes', () => {
    const keys = Array.from({ length: 13 }, (_, i) => `k${i}`);
    expect(() => javaHashMapKeyOrder(keys)).toThrow(RangeError);
  });

  it('refuse a value that Jackson would escape, rather than emit bytes Java would not', () => {
    expect(() => jacksonStringMapJson(new Map([['entityId', 'a"b']]))).toThrow(RangeError);
    expect(() => jacksonStringMapJson(new Map([['entityId', 'a\nb']]))).toThrow(RangeError);
    expect(jacksonStringMapJson(new Map([['consumer_key', 'k']]))).toBe('{"consumer_key":"k"}');
  });

  it('build exactly the bytes Java emitted for each API-M 4.x body', () => {
    for (const [id, body] of Object.entries(JAVA_EMITTED.bodies)) expect(wso2Fixture(id).body, id).toBe(body);
  });
});

describe('the API-M 4.x envelope bodies', () => {
  it('are compact JSON with the stream attributes in stream order', () => {
    expect(envelopes.length).toBeGreaterThanOrEqual(9);
    for (const fixture of envelopes) {
      expect(fixture.body, fixture.id).not.toMatch(/\s/);
      const payload = (JSON.parse(fixture.body) as { event: { payloadData: Record<string, unknown> } }).event.payloadData;
      expect(Object.keys(JSON.parse(fixture.body) as object)).toEqual(['event']);
      expect(Object.keys(payload), fixture.id).toEqual([...TOKEN_REVOCATION_STREAM_ATTRIBUTES]);
      expect(typeof payload.ttl, fixture.id).toBe('string');
      expect(typeof payload.expiryTime, fixture.id).toBe('number');
      expect(payload.tenantId, fixture.id).toBe(-1234);
    }
  });

  it('write expiryTime as the exact digits of the Java long, even Long.MAX_VALUE', () => {
    for (const fixture of envelopes) {
      expect(fixture.body, fixture.id).toContain(`"expiryTime":${fixture.payload!.expiryTime},`);
    }
    const unlimited = wso2Fixture('jwt-unlimited-validity');
    expect(unlimited.payload!.expiryTime).toBe(JAVA_LONG_MAX);
    expect(unlimited.body).toContain('"expiryTime":9223372036854775807,');
    // Plain JSON.parse cannot hold it: a reader must not take this number at face value.
    const parsed = (JSON.parse(unlimited.body) as { event: { payloadData: { expiryTime: number } } }).event.payloadData.expiryTime;
    expect(Number.isSafeInteger(parsed)).toBe(false);
  });

  it('spell each type as WSO2 does', () => {
    const types = new Set(envelopes.map((fixture) => fixture.payload!.type));
    expect([...types].sort()).toEqual(['API_KEY', 'Default', 'JWT', 'consumer_app_revocation_event', 'subject_entity_revocation_event']);
    for (const fixture of envelopes) {
      const expected = {
        'client-cutoff': 'consumer_app_revocation_event',
        'subject-cutoff': 'subject_entity_revocation_event',
        'not-applicable': 'Default',
      }[fixture.disposition as string];
      if (expected !== undefined) expect(fixture.payload!.type, fixture.id).toBe(expected);
    }
  });

  it('put 0 in expiryTime of the indirect events only', () => {
    for (const fixture of envelopes) {
      expect(fixture.payload!.expiryTime === 0n, fixture.id).toBe(fixture.inner !== undefined);
    }
  });
});

describe('the indirect events', () => {
  it('carry standard, padded base64 of the JSON in Java HashMap order', () => {
    expect(indirect.map((fixture) => fixture.id)).toEqual([
      'app-revocation',
      'user-revocation',
      'client-revocation',
      'user-revocation-whole-second',
    ]);
    for (const fixture of indirect) {
      const token = fixture.payload!.revokedToken;
      expect(token, fixture.id).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
      expect(token.length % 4, fixture.id).toBe(0);
      expect(Buffer.from(token, 'base64').toString('utf8'), fixture.id).toBe(fixture.inner!.json);
      expect(Object.keys(innerOf(fixture)), fixture.id).toEqual(fixture.inner!.keyOrder);
    }
  });

  it('name the app by consumer_key and write revocationTime as a string of epoch milliseconds', () => {
    const inner = innerOf(wso2Fixture('app-revocation'));
    expect(inner).toEqual({ consumer_key: APP, revocationTime: String(REVOCATION_TIME_MS) });
    expect(Object.keys(inner)).not.toContain('consumerKey');
    expect(innerOf(wso2Fixture('user-revocation')).revocationTime).toBe('1767225600500');
    expect(innerOf(wso2Fixture('user-revocation-whole-second')).revocationTime).toBe(String(WHOLE_SECOND_REVOCATION_TIME_MS));
  });

  it("expect, in every case, what WSO2's gateway rule decides", () => {
    let checked = 0;
    for (const fixture of indirect) {
      for (const testCase of fixture.cases) {
        expect(wso2IndirectDecision(fixture, testCase.claims), `${fixture.id}: ${testCase.name}`).toBe(testCase.expect);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  it('cover deny before T and allow after T for the user, the app and another party', () => {
    for (const id of ['app-revocation', 'user-revocation', 'client-revocation']) {
      const decisions = new Set(wso2Fixture(id).cases.map((testCase) => testCase.expect));
      expect(decisions, id).toEqual(new Set(['allow', 'deny']));
    }
    const client = wso2Fixture('client-revocation');
    const userTokenOfApp = client.cases.find((testCase) => testCase.claims.entity_id !== testCase.claims.azp);
    expect(userTokenOfApp?.expect).toBe('allow');
  });
});

describe('the token cases', () => {
  it('are all alive at the fixture clock', () => {
    const nowSeconds = FIXTURE_NOW_MS / 1000;
    for (const fixture of WSO2_FIXTURES) {
      for (const testCase of fixture.cases) {
        expect(Number(testCase.claims.iat), `${fixture.id}: ${testCase.name}`).toBeLessThanOrEqual(nowSeconds);
        expect(Number(testCase.claims.exp), `${fixture.id}: ${testCase.name}`).toBeGreaterThan(nowSeconds);
      }
    }
  });

  it('say why wherever the project decides otherwise than WSO2', () => {
    const differing = WSO2_FIXTURES.flatMap((fixture) => fixture.cases).filter((testCase) => testCase.projectExpect !== undefined);
    expect(differing.length).toBe(2);
    for (const testCase of differing) {
      expect(testCase.projectExpect).not.toBe(testCase.expect);
      expect(testCase.note, testCase.name).toBeTruthy();
    }
  });

  it('cite a source for every field of every body', () => {
    for (const fixture of WSO2_FIXTURES) {
      expect(Object.keys(fixture.sources).length, fixture.id).toBeGreaterThan(0);
      for (const refs of Object.values(fixture.sources)) {
        for (const ref of refs) {
          expect(ref.repo, fixture.id).toMatch(/^[\w.-]+\/[\w.-]+$/);
          expect(ref.commit, fixture.id).toMatch(/^([0-9a-f]{40}|unresolved: .+)$/);
          expect(ref.lines, fixture.id).not.toBe('');
        }
      }
      if (fixture.derivation === 'wso2-code-path') {
        for (const field of ['envelope', 'eventId', 'ttl', 'tenantId'])
          expect(fixture.sources[field], `${fixture.id} ${field}`).toBeDefined();
      }
    }
  });
});

describe('jwtSignatureRevocationBody', () => {
  it('revokes a jti-less token by its base64url signature, exactly as it appears in the token', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const exp = Math.floor(FIXTURE_NOW_MS / 1000) + 600;
    const token = await new SignJWT({ sub: 'u', azp: APP })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(privateKey);
    const body = jwtSignatureRevocationBody(token);
    const payload = (JSON.parse(body) as { event: { payloadData: Record<string, unknown> } }).event.payloadData;
    expect(payload.revokedToken).toBe(token.split('.')[2]);
    expect(payload.type).toBe('JWT');
    expect(body).toContain(`"expiryTime":${exp * 1000},`);
    expect(Object.keys(payload)).toEqual([...TOKEN_REVOCATION_STREAM_ATTRIBUTES]);
  });

  it('refuses a string that has no signature part', () => {
    expect(() => jwtSignatureRevocationBody('a.b.')).toThrow(RangeError);
    expect(() => jwtSignatureRevocationBody('opaque-token')).toThrow(RangeError);
  });
});
