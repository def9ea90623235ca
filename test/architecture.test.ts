import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layout's rules (docs/design.md, "Module layout"), read from the import statements:
 *
 * 1. infra/ imports nothing of lambda/ but lambda/contract/: the construct must not pull function
 *    code (or the AWS SDK) into a CDK app, and what the two share has one home.
 * 2. lambda/contract/ imports nothing at all, not even a package: it is plain constants.
 * 3. local/ and bench/ reach into lambda/ only through a folder's public entry (`index.ts`) or a
 *    top-level module of lambda/ (the handlers and their helpers, e.g. createAuthorizerHandler
 *    for the before/after bench), never a folder's internals.
 * 4. Inside lambda/, a module reaches another folder only through its index.ts, and no folder
 *    imports the top-level handler modules (the data path runs handler → folders, not back).
 * 5. lambda/ imports nothing from local/, infra/, bench/ or test/.
 * 6. No import cycle among the modules of CYCLE_ROOTS (type-only imports count: a cycle of types
 *    is a cycle of ideas).
 * 7. A module of lambda/ over 300 lines says why on its first line (`// Over 300 lines: …`).
 *
 * test/ may import anything: unit tests mirror lambda/ modules and reach their internals.
 */

/** Folders whose modules must form no import cycle. */
const CYCLE_ROOTS = ['lambda', 'local', 'infra'];
const SCANNED_ROOTS = ['lambda', 'local', 'infra', 'bench'];
const MAX_LINES_WITHOUT_REASON = 300;

interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

/** A module: its path from the project root (posix), its source text. */
type Sources = ReadonlyMap<string, string>;

/** What a module imports: project modules by path, packages by name. Includes `import type`, re-exports and literal `import()`. */
function importsOf(path: string, source: string): { modules: string[]; packages: string[] } {
  const modules: string[] = [];
  const packages: string[] = [];
  for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
    if (fileName.startsWith('.')) modules.push(posix.normalize(posix.join(posix.dirname(path), fileName)).replace(/\.js$/, '.ts'));
    else packages.push(fileName);
  }
  return { modules, packages };
}

/** `lambda/token/parse-token.ts` → 'token'; a top-level module of lambda/ → undefined. */
function lambdaFolder(path: string): string | undefined {
  const parts = path.split('/');
  return parts[0] === 'lambda' && parts.length > 2 ? parts[1] : undefined;
}

const isLambdaEntry = (path: string) => /^lambda\/[^/]+\/index\.ts$/.test(path) || /^lambda\/[^/]+\.ts$/.test(path);

/** Every violation of rules 1 to 5 and 7. */
function layoutViolations(sources: Sources): Violation[] {
  const violations: Violation[] = [];
  for (const [from, source] of sources) {
    const root = from.split('/')[0];
    const { modules, packages } = importsOf(from, source);
    if (from.startsWith('lambda/contract/')) {
      for (const to of [...packages, ...modules.filter((module) => !module.startsWith('lambda/contract/'))]) {
        violations.push({ rule: 'lambda/contract/ imports nothing', from, to });
      }
    }
    for (const to of modules) {
      const toRoot = to.split('/')[0];
      if (root === 'infra' && toRoot === 'lambda' && !to.startsWith('lambda/contract/')) {
        violations.push({ rule: 'infra/ imports only lambda/contract/', from, to });
      }
      if ((root === 'local' || root === 'bench') && toRoot === 'lambda' && !isLambdaEntry(to)) {
        violations.push({ rule: `${root}/ imports lambda/ only through a folder's index.ts or a top-level module`, from, to });
      }
      if (root === 'lambda' && ['local', 'infra', 'bench', 'test'].includes(toRoot!)) {
        violations.push({ rule: `lambda/ never imports ${toRoot}/`, from, to });
      }
      if (root === 'lambda' && toRoot === 'lambda') {
        const fromFolder = lambdaFolder(from);
        const toFolder = lambdaFolder(to);
        if (toFolder !== undefined && toFolder !== fromFolder && !to.endsWith('/index.ts')) {
          violations.push({ rule: 'lambda/ reaches another folder only through its index.ts', from, to });
        }
        if (fromFolder !== undefined && toFolder === undefined) {
          violations.push({ rule: 'a folder of lambda/ never imports a top-level handler module', from, to });
        }
      }
    }
    if (root === 'lambda') {
      const lines = source.split('\n').length - (source.endsWith('\n') ? 1 : 0);
      if (lines > MAX_LINES_WITHOUT_REASON && !/^\/\/ Over 300 lines: \S/.test(source)) {
        violations.push({ rule: `over ${MAX_LINES_WITHOUT_REASON} lines without a reason on its first line`, from, to: `${lines} lines` });
      }
    }
  }
  return violations;
}

/** Every import cycle among the modules under `roots`, each as the list of modules around it. */
function importCycles(sources: Sources, roots: readonly string[]): string[][] {
  const inRoots = (path: string) => roots.includes(path.split('/')[0]!);
  const edges = new Map<string, string[]>();
  for (const [path, source] of sources) {
    if (!inRoots(path)) continue;
    edges.set(
      path,
      importsOf(path, source).modules.filter((to) => inRoots(to) && sources.has(to)),
    );
  }
  // Tarjan's strongly connected components: a component of two or more modules (or a module that
  // imports itself) is a cycle.
  const cycles: string[][] = [];
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of edges.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || edges.get(node)!.includes(node)) cycles.push(component.sort());
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function projectSources(): Sources {
  const sources = new Map<string, string>();
  const walk = (directory: string): void => {
    for (const entry of readdirSync(join(projectRoot, directory), { withFileTypes: true })) {
      const path = posix.join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) sources.set(path, readFileSync(join(projectRoot, path), 'utf8'));
    }
  };
  for (const root of SCANNED_ROOTS) walk(root);
  return sources;
}

describe('the module layout', () => {
  const sources = projectSources();

  it('reads every module of lambda/, local/, infra/ and bench/', () => {
    expect(sources.size).toBeGreaterThan(80);
    expect(sources.has('lambda/token/index.ts')).toBe(true);
    expect([...sources.keys()].every((path) => relative(projectRoot, join(projectRoot, path)) === path)).toBe(true);
  });

  it('keeps every folder of lambda/ behind an index.ts, and lambda/core/ is gone', () => {
    const folders = new Set([...sources.keys()].map(lambdaFolder).filter((folder) => folder !== undefined));

    expect([...folders].sort()).toEqual([
      'api-gateway',
      'config',
      'contract',
      'feed',
      'messages',
      'receiver',
      'revocation',
      'shared',
      'snapshot',
      'token',
    ]);
    for (const folder of folders) expect(sources.has(`lambda/${folder}/index.ts`)).toBe(true);
  });

  it('follows the import rules', () => {
    expect(layoutViolations(sources)).toEqual([]);
  });

  it(`has no import cycle among the modules of ${CYCLE_ROOTS.join(', ')}`, () => {
    expect(importCycles(sources, CYCLE_ROOTS)).toEqual([]);
  });
});

describe('the layout checks', () => {
  // Each rule, shown to fire on a small made-up project: a check that cannot fail proves nothing.
  const fake = (files: Record<string, string>): Sources => new Map(Object.entries(files));

  it.each([
    ['infra/ importing a lambda/ folder other than contract', { 'infra/x.ts': "import { a } from '../lambda/token/index.js';" }],
    ['lambda/contract/ importing a package', { 'lambda/contract/x.ts': "import { b } from 'aws-cdk-lib';" }],
    ['lambda/contract/ importing another folder', { 'lambda/contract/x.ts': "export { c } from '../shared/index.js';" }],
    ['local/ importing a folder internal', { 'local/x.ts': "import type { d } from '../lambda/revocation/table-codec.js';" }],
    ['bench/ importing a folder internal', { 'bench/x.ts': "const m = await import('../lambda/token/parse-token.js');" }],
    ['a lambda/ folder reaching into another folder', { 'lambda/messages/x.ts': "import { e } from '../token/parse-token.js';" }],
    ['a lambda/ folder importing a handler module', { 'lambda/token/x.ts': "import { f } from '../authorizer-handler.js';" }],
    ['lambda/ importing local/', { 'lambda/x.ts': "import { g } from '../local/stack.js';" }],
    ['lambda/ importing infra/', { 'lambda/shared/x.ts': "import { h } from '../../infra/index.js';" }],
    ['a long lambda/ module without a reason', { 'lambda/token/x.ts': 'const x = 1;\n'.repeat(301) }],
  ])('catch %s', (_name, files) => {
    expect(layoutViolations(fake(files))).toHaveLength(1);
  });

  it.each([
    ['local/ through an index.ts', { 'local/x.ts': "import { a } from '../lambda/messages/index.js';" }],
    ['bench/ through a top-level module', { 'bench/x.ts': "import { b } from '../lambda/authorizer-handler.js';" }],
    ['infra/ through lambda/contract/', { 'infra/x.ts': "export * from '../lambda/contract/metric-names.js';" }],
    ['a folder using its own internals', { 'lambda/token/x.ts': "import { c } from './parse-token.js';" }],
    ['a long module that says why', { 'lambda/token/x.ts': '// Over 300 lines: one table.\n' + 'const x = 1;\n'.repeat(301) }],
  ])('allow %s', (_name, files) => {
    expect(layoutViolations(fake(files))).toEqual([]);
  });

  it('find a cycle, type-only imports included, and name its modules', () => {
    const files = fake({
      'lambda/a.ts': "import { b } from './b.js';",
      'lambda/b.ts': "import type { C } from './shared/c.js';",
      'lambda/shared/c.ts': "export { a } from '../a.js';",
      'local/d.ts': "import { a } from '../lambda/a.js';",
    });

    expect(importCycles(files, ['lambda', 'local'])).toEqual([['lambda/a.ts', 'lambda/b.ts', 'lambda/shared/c.ts']]);
  });

  it('look for cycles only under the roots it is given', () => {
    const files = fake({ 'infra/a.ts': "import { b } from './b.js';", 'infra/b.ts': "import { a } from './a.js';" });

    expect(importCycles(files, ['lambda', 'local'])).toEqual([]);
    expect(importCycles(files, ['infra'])).toEqual([['infra/a.ts', 'infra/b.ts']]);
  });
});
