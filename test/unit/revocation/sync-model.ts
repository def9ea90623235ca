import type { RevocableToken, Revocation, RevocationSettings } from '../../../lambda/revocation/index.js';

/**
 * What the model checks of the delta sync share (change-head.test.ts, change-feed.test.ts): one
 * issuer, one start time, the sync's settings at 1 s intervals with a 5 s overlap, and the tokens
 * and revocations the models hand the view, all by jti.
 */

export const ISS = 'https://issuer.example.com/';
export const T0 = 1_800_000_000_000;
export const INTERVAL_MS = 1000;
export const OVERLAP_MS = 5000;
export const FULL_SYNC_MS = 60_000;
/** Head (and page) replicas in the models: enough to show one lagging behind the others. */
export const REPLICAS = 4;

export const syncSettings: RevocationSettings = {
  tableName: 'unused',
  syncIntervalMs: INTERVAL_MS,
  maxStalenessMs: 30_000,
  failMode: 'closed',
  consistency: 'eventual',
  scanSegments: 1,
  syncOverlapMs: OVERLAP_MS,
  fullSyncIntervalMs: FULL_SYNC_MS,
};

export const rules = { maxTokenLifetimeSeconds: 3600, clockToleranceSeconds: 60 };

/** A verified token of ISS with this jti, issued at T0. */
export const token = (jti: string): RevocableToken => ({
  issuer: ISS,
  revocationIds: { jti, subject: undefined, client: undefined, session: undefined, signatures: [] },
  issuedAtEpochSeconds: T0 / 1000,
});

/** The revocation of that token, live for a day after T0. */
export const jtiRevocation = (jti: string): Revocation => ({ kind: 'jti', issuer: ISS, jti, expiresAtEpochSeconds: T0 / 1000 + 86_400 });
