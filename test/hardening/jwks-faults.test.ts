import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { RevocationStore } from '../../lambda/revocation/index.js';
import { BundleProcess } from '../support/bundle-process.js';
import { startDynalite, type LocalDynamo } from '../support/dynalite.js';
import { createSigningKey, TestIssuer, type SigningKey } from '../support/issuer.js';
import { decide, sleep, until, type Outcome } from './support/decisions.js';
import { createRevocationTable } from '../../local/table-admin.js';

/**
 * The issuer's JWKS endpoint failing in every way, against the built authorizer: down, slow beyond
 * JWKS_TIMEOUT_MS, answering garbage, rotating keys, and a storm of tokens naming unknown kids. The
 * documented outcomes: a token is never allowed without a key that verifies it; an unreachable key
 * set with no usable key held is a 500 (fail closed), not a deny and never an allow; held keys keep
 * working through an outage; refetches triggered by unknown kids stay rate-limited.
 */

const TABLE = 'revocations';
let dynamo: LocalDynamo;
let attacker: SigningKey;
const issuers: TestIssuer[] = [];
const processes: BundleProcess[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  await createRevocationTable(dynamo.client, TABLE);
  attacker = await createSigningKey('RS256', 'attacker');
});
afterAll(async () => {
  await Promise.all(processes.map((child) => child.stop()));
  await Promise.all(issuers.map((issuer) => issuer.stop()));
  await dynamo?.stop();
});

async function newIssuer(): Promise<TestIssuer> {
  const issuer = await TestIssuer.start({ algorithms: ['RS256'] });
  issuers.push(issuer);
  return issuer;
}

function authorizer(issuer: TestIssuer, env: Record<string, string> = {}): BundleProcess {
  const child = new BundleProcess('authorizer', {
    ...dynamo.env,
    ...issuer.env,
    REVOCATION_TABLE_NAME: TABLE,
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...env,
  });
  processes.push(child);
  return child;
}

const JWKS_UNAVAILABLE = 'error:ERR_JWKS_UNAVAILABLE';

describe.concurrent('the JWKS endpoint at cold start', () => {
  it.each(['error', 'garbage'] as const)('answering %s: fails closed (500), then verifies once it answers again', async (mode) => {
    // Prepare
    const issuer = await newIssuer();
    issuer.mode = mode;
    const child = authorizer(issuer, { JWKS_COOLDOWN_MS: '500' });
    const token = await issuer.token();

    // Act
    const whileBroken = [await decide(child, token), await decide(child, token)];
    issuer.mode = 'ok';
    const recovered = await until(child, token, (outcome) => outcome === 'allow', 3000, 50);

    // Assess
    expect(whileBroken).toEqual([JWKS_UNAVAILABLE, JWKS_UNAVAILABLE]);
    expect(recovered).toBeDefined();
    // A failed fetch is retried at most every min(JWKS_COOLDOWN_MS, 5 s) = 500 ms.
    expect(recovered!.afterMs).toBeLessThan(500 + 1500);
  });

  it('hanging beyond JWKS_TIMEOUT_MS: each request fails closed within the timeout, and no token is allowed', async () => {
    // Prepare
    const issuer = await newIssuer();
    issuer.mode = 'hang';
    const child = authorizer(issuer, { JWKS_TIMEOUT_MS: '300', JWKS_COOLDOWN_MS: '0' });
    const tokens = [await issuer.token(), await issuer.token({}, { key: attacker, header: { kid: issuer.key().kid } })];

    // Act
    const timings: { outcome: Outcome; ms: number }[] = [];
    for (const token of tokens) {
      const startedAt = performance.now();
      timings.push({ outcome: await decide(child, token), ms: performance.now() - startedAt });
    }

    // Assess: no request waits much longer than the timeout (the cold-start prefetch takes one).
    expect(timings.map((timing) => timing.outcome)).toEqual([JWKS_UNAVAILABLE, JWKS_UNAVAILABLE]);
    for (const timing of timings.slice(1)) expect(timing.ms).toBeLessThan(300 + 1500);
  });
});

describe.concurrent('the JWKS endpoint while warm', () => {
  it('down or answering garbage past the key set max age: keeps verifying with the keys it holds', async () => {
    // Prepare
    const issuer = await newIssuer();
    const child = authorizer(issuer, { JWKS_CACHE_MAX_AGE_MS: '1000', JWKS_COOLDOWN_MS: '100' });
    expect(await decide(child, await issuer.token())).toBe('allow');

    // Act: the endpoint breaks for longer than the max age, so background refreshes fail.
    const outcomes: Outcome[] = [];
    for (const mode of ['error', 'garbage', 'hang'] as const) {
      issuer.mode = mode;
      const startedAt = performance.now();
      while (performance.now() - startedAt < 360) {
        outcomes.push(await decide(child, await issuer.token()));
        outcomes.push(await decide(child, await issuer.token({}, { key: attacker, header: { kid: issuer.key().kid } })));
        await sleep(50);
      }
    }
    issuer.mode = 'ok';

    // Assess: valid tokens allowed, forged ones refused, nothing else.
    expect(new Set(outcomes)).toEqual(new Set(['allow', 'deny:bad_signature']));
    expect(outcomes.filter((outcome) => outcome === 'allow').length).toBe(outcomes.length / 2);
  });

  it('rotating keys: a new kid is picked up once the cooldown allows a refetch, a removed key stops verifying', async () => {
    // Prepare
    const issuer = await newIssuer();
    const cooldownMs = 250;
    const child = authorizer(issuer, { JWKS_COOLDOWN_MS: String(cooldownMs) });
    const old = issuer.key();
    const oldToken = await issuer.token({}, { key: old });
    expect(await decide(child, oldToken)).toBe('allow');

    // Act: the issuer publishes a new key and signs with it; later it retires the old one.
    const rotated = await createSigningKey('RS256', `rotated-${randomUUID()}`);
    issuer.keys.push(rotated);
    await sleep(cooldownMs);
    const newToken = await issuer.token({}, { key: rotated });
    const picked = await until(child, newToken, (outcome) => outcome === 'allow', 3000, 50);
    const oldStillValid = await decide(child, oldToken);
    issuer.keys.splice(issuer.keys.indexOf(old), 1);
    await sleep(cooldownMs);
    // A token naming a kid the instance does not hold makes it refetch the set, which drops the old key.
    const trigger = await issuer.token({}, { key: attacker, header: { kid: `unknown-${randomUUID()}` } });
    expect(await decide(child, trigger)).toBe('deny:unknown_key');
    const oldAfterRetirement = await decide(child, await issuer.token({}, { key: old }));
    const newAfterRetirement = await decide(child, await issuer.token({}, { key: rotated }));

    // Assess
    expect(picked?.outcome).toBe('allow');
    expect(oldStillValid).toBe('allow');
    expect(oldAfterRetirement).toBe('deny:unknown_key');
    expect(newAfterRetirement).toBe('allow');
  });

  it('a storm of unknown kids: every token refused, refetches at most one per cooldown, valid tokens unaffected', async () => {
    // Prepare
    const issuer = await newIssuer();
    const cooldownMs = 250;
    const child = authorizer(issuer, { JWKS_COOLDOWN_MS: String(cooldownMs) });
    const valid = await issuer.token();
    expect(await decide(child, valid)).toBe('allow');
    const storm = await Promise.all(
      Array.from({ length: 300 }, () => issuer.token({}, { key: attacker, header: { kid: `storm-${randomUUID()}` } })),
    );
    const fetchesBefore = issuer.jwksFetches;

    // Act
    const startedAt = performance.now();
    const outcomes: Outcome[] = [];
    // Spread over several cooldowns, so the limit (not the first cooldown) is what holds fetches back.
    for (const [index, token] of storm.entries()) {
      outcomes.push(await decide(child, token));
      if (index % 30 === 0) outcomes.push(await decide(child, valid));
      if (index % 10 === 0) await sleep(40);
    }
    const elapsedMs = performance.now() - startedAt;
    const fetches = issuer.jwksFetches - fetchesBefore;

    // Assess
    expect(outcomes.filter((outcome) => outcome === 'deny:unknown_key')).toHaveLength(300);
    expect(outcomes.filter((outcome) => outcome === 'allow')).toHaveLength(10);
    expect(outcomes).toHaveLength(310);
    expect(elapsedMs).toBeGreaterThan(4 * cooldownMs);
    expect(fetches).toBeGreaterThanOrEqual(2);
    expect(fetches).toBeLessThanOrEqual(Math.ceil(elapsedMs / cooldownMs) + 1);
    console.info(`kid storm: 300 unknown kids in ${Math.round(elapsedMs)} ms, ${fetches} JWKS fetches (cooldown ${cooldownMs} ms)`);
  });

  it('a storm of unknown kids while the endpoint is down: fails closed, and does not hammer the endpoint', async () => {
    // Prepare
    const issuer = await newIssuer();
    const cooldownMs = 300;
    const child = authorizer(issuer, { JWKS_COOLDOWN_MS: String(cooldownMs) });
    const valid = await issuer.token();
    expect(await decide(child, valid)).toBe('allow');
    const storm = await Promise.all(
      Array.from({ length: 200 }, () => issuer.token({}, { key: attacker, header: { kid: `down-${randomUUID()}` } })),
    );
    await sleep(cooldownMs);
    issuer.mode = 'error';
    const fetchesBefore = issuer.jwksFetches;

    // Act
    const startedAt = performance.now();
    const outcomes: Outcome[] = [];
    for (const token of storm) outcomes.push(await decide(child, token));
    const validDuringStorm = await decide(child, valid);
    const elapsedMs = performance.now() - startedAt;
    issuer.mode = 'ok';

    // Assess: unknown kids cannot be checked, so they are 500s (never allowed); the held key still works.
    expect(new Set(outcomes)).toEqual(new Set([JWKS_UNAVAILABLE]));
    expect(validDuringStorm).toBe('allow');
    // After a failed fetch, requests for keys not held fail fast for min(cooldown, 5 s).
    expect(issuer.jwksFetches - fetchesBefore).toBeLessThanOrEqual(Math.ceil(elapsedMs / cooldownMs) + 1);
  });
});
