import { describe, expect, it } from 'vitest';
import { loadFeedWriterConfig } from '../../../lambda/config/index.js';
import { DEFAULTS } from '../../../lambda/contract/index.js';
import { ConfigurationError } from '../../../lambda/shared/index.js';

describe('loadFeedWriterConfig', () => {
  it('applies the defaults: the default table, the authorizer default overlap, a step a second', () => {
    expect(loadFeedWriterConfig({})).toEqual({ tableName: 'revocations', syncOverlapMs: DEFAULTS.syncOverlapMs, intervalMs: 1000 });
  });

  it('reads REVOCATION_TABLE_NAME, REVOCATION_SYNC_OVERLAP_MS and FEED_INTERVAL_MS', () => {
    const config = loadFeedWriterConfig({ REVOCATION_TABLE_NAME: 'prod', REVOCATION_SYNC_OVERLAP_MS: '8000', FEED_INTERVAL_MS: '250' });

    expect(config).toEqual({ tableName: 'prod', syncOverlapMs: 8000, intervalMs: 250 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each(['99', '60001', '1s', '-5'])('throws when FEED_INTERVAL_MS is %s, naming it and its range', (value) => {
    let error: unknown;
    try {
      loadFeedWriterConfig({ FEED_INTERVAL_MS: value, REVOCATION_SYNC_OVERLAP_MS: 'soon' });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems).toEqual([
      'REVOCATION_SYNC_OVERLAP_MS must be a whole number of milliseconds (at least 0), got "soon"',
      `FEED_INTERVAL_MS must be a whole number of milliseconds (100 to 60000), got "${value}"`,
    ]);
  });
});
