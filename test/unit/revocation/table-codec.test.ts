import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { REVOCATION_TABLE_SCHEMA } from '../../../lambda/contract/index.js';
import {
  ANY_ISSUER,
  assertStorable,
  issuerProblem,
  MAX_CLEAR_ID_BYTES,
  MAX_ENCODED_ISSUER_BYTES,
  MAX_KEY_BYTES,
  storedId,
  parseRevocationKey,
  revocationKey,
  revocationKeyBytes,
  shardOf,
  storageProblem,
  toItem,
  toRevocation,
  sessionRevocation,
  type Revocation,
} from '../../../lambda/revocation/index.js';
import { conditionalUpdate, keysForToken } from '../../../lambda/revocation/table-codec.js';

const ISS = 'https://issuer.example.com/tenant#1';
const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const jti: Revocation = { kind: 'jti', issuer: ISS, jti: 'token-1', expiresAtEpochSeconds: NOW + 3600 };
const subject: Revocation = {
  kind: 'subject',
  issuer: ANY_ISSUER,
  id: 'alice',
  revokedAtEpochMs: NOW_MS,
  expiresAtEpochSeconds: NOW + 86_460,
};
const session: Revocation = sessionRevocation(ISS, 'sid-7', NOW_MS, { maxTokenLifetimeSeconds: 86_400, clockToleranceSeconds: 60 });

describe('revocation keys', () => {
  it('round-trip any issuer and id, including # and % in either', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('jti', 'subject', 'client', 'session' as const),
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        (kind, issuer, id) => {
          expect(parseRevocationKey(revocationKey(kind, issuer, id))).toEqual({ kind, issuer, id });
        },
      ),
    );
    expect(revocationKey('subject', 'https://a#b', '#x%y')).toBe('subject#https%3A%2F%2Fa%23b##x%y');
    expect(revocationKey('session', ISS, 'sid-7')).toBe('session#https%3A%2F%2Fissuer.example.com%2Ftenant%231#sid-7');
  });

  it.each(['device#iss#id', 'jti#iss', 'jti##id', 'jti#iss#', 'jti#%E0%A4%A#id'])('are unknown to this version when spelled %s', (pk) => {
    expect(parseRevocationKey(pk)).toBeUndefined();
  });

  it('spread items evenly over the index shards, and a key always lands in the same one', () => {
    const counts = new Array<number>(REVOCATION_TABLE_SCHEMA.indexShards).fill(0);
    for (let i = 0; i < 4000; i++) counts[shardOf(revocationKey('jti', ISS, crypto.randomUUID()))]!++;

    for (const count of counts) expect(count).toBeGreaterThan((4000 / REVOCATION_TABLE_SCHEMA.indexShards) * 0.8);
    // FNV-1a: a fixed function of the key, so writers of every version agree.
    expect(shardOf('jti#iss#id')).toBe(shardOf('jti#iss#id'));
    expect(shardOf('')).toBe(0x811c9dc5 % REVOCATION_TABLE_SCHEMA.indexShards);
  });

  it('are measured in UTF-8 bytes of the encoded key', () => {
    // 'jti#' + 'a%2Fb' (a `/` encodes to three bytes) + '#' + 'é' (two bytes)
    expect(revocationKeyBytes('jti', 'a/b', 'é')).toBe(4 + 5 + 1 + 2);
  });
});

describe('storageProblem', () => {
  it('finds nothing wrong with revocations the ingest makes', () => {
    expect(storageProblem(jti)).toBeUndefined();
    expect(storageProblem(subject)).toBeUndefined();
    expect(storageProblem(session)).toBeUndefined();
  });

  it(`leaves an issuer room beside the longest kind and clear id in the ${MAX_KEY_BYTES}-byte key, and keeps every such key within it`, () => {
    // 'subject#' + issuer + '#' + id: the longest kind, the longest id stored as it is.
    expect(MAX_ENCODED_ISSUER_BYTES).toBe(MAX_KEY_BYTES - 'subject##'.length - MAX_CLEAR_ID_BYTES);
    // 'https%3A%2F%2Fi.example%2F' (26 bytes) + 329 slashes (3 bytes each) + 'ab': 1,015 bytes encoded, 349 raw.
    const issuer = 'https://i.example/' + '/'.repeat(329) + 'ab';
    const longest: Revocation = { ...subject, issuer, id: 'é'.repeat(MAX_CLEAR_ID_BYTES / 2) };

    expect(issuerProblem(issuer)).toBeUndefined();
    expect(revocationKeyBytes('subject', issuer, longest.id)).toBe(MAX_KEY_BYTES);
    expect(storageProblem(longest)).toBeUndefined();
    expect(issuerProblem(issuer + '/')).toMatch(/once %-encoded/);
    expect(storageProblem({ ...longest, issuer: issuer + '/' })).toEqual({
      field: 'issuer',
      message: expect.stringContaining('once %-encoded'),
    });
  });

  it('refuses an id the mapping would not give, which is a caller that skipped it', () => {
    expect(storageProblem({ ...jti, jti: 'x'.repeat(MAX_CLEAR_ID_BYTES + 1) })).toMatchObject({ field: 'id' });
    expect(storageProblem({ ...jti, jti: 'bob\u0085' })).toMatchObject({ field: 'id' });
    expect(storageProblem({ ...jti, jti: storedId('bob\u0085') })).toBeUndefined();
    expect(storageProblem({ ...jti, jti: '~sha256:not-a-digest' })).toMatchObject({ field: 'id' });
  });

  it.each<[string, Revocation, string]>([
    ['a TTL in milliseconds', { ...jti, expiresAtEpochSeconds: NOW_MS }, 'expiresAtEpochSeconds'],
    ['a fractional TTL', { ...jti, expiresAtEpochSeconds: NOW + 0.5 }, 'expiresAtEpochSeconds'],
    ['a cut-off in seconds', { ...subject, revokedAtEpochMs: NOW }, 'revokedAtEpochMs'],
    ['an empty id', { ...subject, id: '' }, 'id'],
    ['an empty issuer', { ...jti, issuer: '' }, 'issuer'],
    ['an unknown kind', { ...jti, kind: 'device' } as unknown as Revocation, 'kind'],
    ['a session dated in seconds', { ...session, revokedAtEpochMs: NOW }, 'revokedAtEpochMs'],
    ['a session TTL in milliseconds', { ...session, expiresAtEpochSeconds: NOW_MS }, 'expiresAtEpochSeconds'],
  ])('names the field of %s', (_name, revocation, field) => {
    expect(storageProblem(revocation)?.field).toBe(field);
  });

  it('is what assertStorable throws on, naming the position in the batch', () => {
    expect(() => assertStorable([jti, subject])).not.toThrow();
    expect(() => assertStorable([jti, { ...jti, expiresAtEpochSeconds: NOW_MS }])).toThrow(/^revocations\[1\] cannot be stored: /);
  });
});

describe('items', () => {
  it('hold every attribute the change index and the readers need, and read back as the revocation', () => {
    for (const revocation of [jti, subject, session]) {
      const item = toItem(revocation, NOW_MS);

      expect(Object.keys(item).sort()).toEqual(['expiresAt', 'id', 'iss', 'kind', 'pk', 'revokedAt', 'shard', 'updatedAt']);
      expect(item.updatedAt).toEqual({ N: String(NOW_MS) });
      expect(Number(item.shard!.N)).toBe(shardOf(item.pk!.S!));
      expect(toRevocation(item)).toEqual(revocation);
    }
    expect(toItem(jti, NOW_MS).revokedAt).toEqual({ N: String(NOW_MS) });
    expect(toItem(session, NOW_MS + 5)).toMatchObject({ kind: { S: 'session' }, revokedAt: { N: String(NOW_MS) } });
  });

  it('read a session by its expiry alone: one without a readable revokedAt still refuses its tokens', () => {
    expect(toRevocation({ pk: { S: 'session#x#y' }, expiresAt: { N: '1' } })).toEqual({
      kind: 'session',
      issuer: 'x',
      id: 'y',
      revokedAtEpochMs: 0,
      expiresAtEpochSeconds: 1,
    });
  });

  it('read as nothing when their key or numbers are unreadable', () => {
    expect(toRevocation({ pk: { S: 'device#x#y' }, expiresAt: { N: '1' } })).toBeUndefined();
    expect(toRevocation({ pk: { S: 'session#x#y' } })).toBeUndefined();
    expect(toRevocation({ pk: { S: 'jti#x#y' } })).toBeUndefined();
    expect(toRevocation({ pk: { S: 'subject#x#y' }, expiresAt: { N: '1' } })).toBeUndefined();
  });
});

describe('conditionalUpdate', () => {
  it('only extends a jti expiry and keeps the time it was first revoked', () => {
    const update = conditionalUpdate(jti, NOW_MS);

    expect(update.ConditionExpression).toBe('attribute_not_exists(#pk) OR #expiresAt < :expiresAt');
    expect(update.UpdateExpression).toContain('#revokedAt = if_not_exists(#revokedAt, :revokedAt)');
    expect(update.ExpressionAttributeValues[':expiresAt']).toEqual({ N: String(NOW + 3600) });
  });

  it('only moves a cut-off forward', () => {
    const update = conditionalUpdate(subject, NOW_MS + 5);

    expect(update.ConditionExpression).toBe('attribute_not_exists(#pk) OR #revokedAt < :revokedAt');
    expect(update.ExpressionAttributeValues[':revokedAt']).toEqual({ N: String(NOW_MS) });
    expect(update.ExpressionAttributeValues[':updatedAt']).toEqual({ N: String(NOW_MS + 5) });
  });

  it('only extends a session’s expiry, dating the item by the revocation that set it', () => {
    const update = conditionalUpdate(session, NOW_MS + 5);

    expect(update.ConditionExpression).toBe('attribute_not_exists(#pk) OR #expiresAt < :expiresAt');
    expect(update.UpdateExpression).toContain('#revokedAt = :revokedAt');
    expect(update.ExpressionAttributeValues[':expiresAt']).toEqual({ N: String(NOW + 86_460) });
    expect(update.ExpressionAttributeValues[':revokedAt']).toEqual({ N: String(NOW_MS) });
    expect(update.Key).toEqual({ pk: { S: revocationKey('session', ISS, 'sid-7') } });
  });
});

describe('keysForToken', () => {
  it('names the jti, subject, client and session keys for the token’s issuer and for any issuer, once each', () => {
    const keys = keysForToken({
      issuer: ISS,
      revocationIds: { jti: 'token-1', subject: 'alice', client: 'app', signatures: [], session: 'sid-1' },
    }).map((key) => key.pk!.S);

    expect(keys.sort()).toEqual(
      [
        revocationKey('jti', ISS, 'token-1'),
        revocationKey('jti', ANY_ISSUER, 'token-1'),
        revocationKey('subject', ISS, 'alice'),
        revocationKey('subject', ANY_ISSUER, 'alice'),
        revocationKey('client', ISS, 'app'),
        revocationKey('client', ANY_ISSUER, 'app'),
        revocationKey('session', ISS, 'sid-1'),
        revocationKey('session', ANY_ISSUER, 'sid-1'),
      ].sort(),
    );
    expect(
      keysForToken({
        issuer: ANY_ISSUER,
        revocationIds: { jti: 't', subject: undefined, client: undefined, signatures: [], session: undefined },
      }),
    ).toHaveLength(1);
  });
});
