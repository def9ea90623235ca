import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHARED_FIXTURES_DIR, sharedFixtures } from './shared-fixtures.js';

describe('sharedFixtures', () => {
  const root = mkdtempSync(join(tmpdir(), 'shared-fixtures-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('looks in ../shared/fixtures beside the project root', () => {
    expect(SHARED_FIXTURES_DIR).toBe(resolve(process.cwd(), '../shared/fixtures'));
  });

  it('gives no skip reason and reads the JSON files of a folder that is there', () => {
    mkdirSync(join(root, 'present'));
    writeFileSync(join(root, 'present', 'vectors.json'), '{"numberOfTests": 2}');

    const fixtures = sharedFixtures('present', root);

    expect(fixtures.skipReason).toBeUndefined();
    expect(fixtures.readJson('vectors.json')).toEqual({ numberOfTests: 2 });
  });

  it('gives a one-line skip reason naming the missing folder when it is absent', () => {
    const fixtures = sharedFixtures('absent', root);

    expect(fixtures.skipReason).toBe(
      `skipped: ${join(root, 'absent')} is absent (third-party fixtures that CI places in ../shared/fixtures)`,
    );
    expect(fixtures.skipReason).not.toContain('\n');
  });
});
