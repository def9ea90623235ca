import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const INFRA = fileURLToPath(new URL('../../infra/', import.meta.url));

/** infra/'s modules and the infra/ modules each imports (type-only imports too: they tie the files as much). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of readdirSync(INFRA).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(join(INFRA, file), 'utf8');
    const targets = [...source.matchAll(/^(?:import|export)[^;]*?from '\.\/([\w-]+)\.js';/gms)].map((match) => `${match[1]}.ts`);
    graph.set(file, targets);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the path that closes it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const visit = (file: string, path: string[]) => {
    for (const next of graph.get(file) ?? []) {
      const seen = path.indexOf(next);
      if (seen >= 0) found.push([...path.slice(seen), next]);
      else visit(next, [...path, next]);
    }
  };
  for (const file of graph.keys()) visit(file, [file]);
  return found;
}

describe('infra/ imports', () => {
  it('form no cycle', () => {
    const graph = importGraph();
    expect(graph.get('revocation-authorizer.ts')).toContain('props.ts');
    expect(cycles(graph)).toEqual([]);
  });

  it('keep the example stack out of the public index', () => {
    expect(importGraph().get('index.ts')).not.toContain('example-stack.ts');
  });
});
