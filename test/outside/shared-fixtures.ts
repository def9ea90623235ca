import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

/**
 * Third-party fixtures live beside the checkout, in ../shared/fixtures (CI puts them there; see
 * its README). They are read in place, never copied into the repository.
 */
export const SHARED_FIXTURES_DIR = fileURLToPath(new URL('../../../shared/fixtures', import.meta.url));

/** A folder of the shared fixtures, and why a suite that needs it is skipped when it is absent. */
export interface SharedFixtures {
  /** Absolute path of the folder. */
  readonly dir: string;
  /** One line saying why the suite is skipped; undefined when the folder is there. */
  readonly skipReason: string | undefined;
  /** Parses `file` of the folder as JSON. */
  readJson<T = unknown>(file: string): T;
}

/** Locates `folder` under the shared fixtures (`root` is for tests of this function). */
export function sharedFixtures(folder: string, root: string = SHARED_FIXTURES_DIR): SharedFixtures {
  const dir = join(root, folder);
  return {
    dir,
    skipReason: existsSync(dir) ? undefined : `skipped: ${dir} is absent (third-party fixtures that CI places in ../shared/fixtures)`,
    readJson: <T>(file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as T,
  };
}

/**
 * Declares a suite that reads `fixtures`; when they are absent, one skipped test whose name is the
 * reason instead, and that reason as one line on stderr, so a run without them says why.
 */
export function describeWithFixtures(title: string, fixtures: SharedFixtures, body: () => void): void {
  const reason = fixtures.skipReason;
  if (reason === undefined) {
    describe(title, body);
    return;
  }
  process.stderr.write(`${title}: ${reason}\n`);
  describe.skip(title, () => it(reason, () => undefined));
}
