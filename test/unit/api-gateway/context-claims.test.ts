import { describe, expect, it } from 'vitest';
import { ContextBuilder, flattenClaim } from '../../../lambda/api-gateway/index.js';
import { CONTEXT_LIMITS } from '../../../lambda/contract/index.js';
import type { VerifiedToken } from '../../../lambda/token/index.js';
import { LogRecorder } from '../../support/log-recorder.js';

function token(claims: Record<string, unknown>): VerifiedToken {
  return {
    issuer: 'https://issuer.example.com/',
    sub: 'alice',
    subject: 'alice',
    subjectClaim: 'sub',
    tokenId: 'jti-1',
    signatureIds: [],
    clientId: 'web',
    sessionId: undefined,
    revocationIds: { jti: 'jti-1', subject: 'alice', client: 'web', session: undefined, signatures: [] },
    issuedAtEpochSeconds: 1,
    expiresAtEpochSeconds: 2,
    scope: 'read',
    claims: { iss: 'https://issuer.example.com/', sub: 'alice', jti: 'jti-1', ...claims },
  };
}

describe('flattenClaim', () => {
  it('keeps strings, finite numbers and booleans; writes arrays and objects as JSON; drops null', () => {
    expect(flattenClaim('a b')).toBe('a b');
    expect(flattenClaim(7)).toBe(7);
    expect(flattenClaim(false)).toBe(false);
    expect(flattenClaim(['admin', 'ops, eu'])).toBe('["admin","ops, eu"]');
    expect(flattenClaim({ country: 'NL' })).toBe('{"country":"NL"}');
    expect(flattenClaim(null)).toBeUndefined();
  });
});

describe('ContextBuilder', () => {
  it('builds the default context when no claims are listed', () => {
    expect(new ContextBuilder().contextOf(token({ email: 'a@example.com' }))).toEqual({
      iss: 'https://issuer.example.com/',
      jti: 'jti-1',
      sub: 'alice',
      client_id: 'web',
      scope: 'read',
    });
  });

  it('carries exactly the listed claims, flattened, when JWT_CONTEXT_CLAIMS is set', () => {
    const builder = new ContextBuilder({ includeDefault: false, claims: ['email', 'groups', 'cognito:groups', 'scp', 'missing'] });
    const context = builder.contextOf(
      token({ email: 'a@example.com', groups: ['admin', 'ops'], 'cognito:groups': ['eu'], scp: ['r', 'w'] }),
    );
    expect(context).toEqual({ email: 'a@example.com', groups: '["admin","ops"]', 'cognito:groups': '["eu"]', scp: '["r","w"]' });
  });

  it('adds a preset claim to the default context without replacing a default one', () => {
    const builder = new ContextBuilder({ includeDefault: true, claims: ['cognito:groups', 'sub'] });
    expect(builder.contextOf(token({ 'cognito:groups': ['admin'], sub: 'other' }))).toMatchObject({
      sub: 'alice',
      'cognito:groups': '["admin"]',
    });
  });

  it("builds a token's context once: the same (frozen) object for the same verified token", () => {
    const builder = new ContextBuilder({ includeDefault: false, claims: ['email'] });
    const verified = token({ email: 'a@example.com' });
    const first = builder.contextOf(verified);
    expect(builder.contextOf(verified)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('leaves out, and logs, a value over the per-value cap and claims past the total cap, never cutting one', () => {
    const log = new LogRecorder();
    const big = 'x'.repeat(CONTEXT_LIMITS.valueMaxBytes + 1);
    // Four of these (and their one-letter names) fit in the total; a fifth does not, a short one still does.
    const fits = 'y'.repeat(Math.floor(CONTEXT_LIMITS.totalMaxBytes / 4) - 20);
    const claims = { big, a: fits, b: fits, c: fits, d: fits, f: fits, e: 'small' };
    const context = new ContextBuilder({ includeDefault: false, claims: Object.keys(claims) }, log).contextOf(token(claims));

    expect(context).not.toHaveProperty('big');
    expect(Object.keys(context)).toEqual(['a', 'b', 'c', 'd', 'e']);
    const bytes = Object.entries(context).reduce((sum, [name, value]) => sum + name.length + String(value).length, 0);
    expect(bytes).toBeLessThanOrEqual(CONTEXT_LIMITS.totalMaxBytes);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 'warn', extra: { omitted: [{ claim: 'big' }, { claim: 'f' }] } });
  });

  it('never sets a prototype from a claim named __proto__', () => {
    const context = new ContextBuilder({ includeDefault: false, claims: ['__proto__'] }).contextOf(
      token(JSON.parse('{"__proto__":{"x":1}}')),
    );
    expect(Object.getPrototypeOf(context)).toBe(Object.prototype);
    expect(Object.keys(context)).toEqual([]);
  });
});
