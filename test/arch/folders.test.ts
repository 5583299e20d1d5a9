import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const TREES = ['src', 'commands', 'adapters', 'dev'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Folder → folders its files import (relative imports only; a folder's own files are not an edge). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const tree of TREES) {
    for (const file of files(join(ROOT, tree))) {
      const from = relative(ROOT, dirname(file));
      const edges = graph.get(from) ?? new Set<string>();
      graph.set(from, edges);
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
        const to = relative(ROOT, dirname(resolve(dirname(file), match[1]!)));
        if (to !== from) edges.add(to);
      }
    }
  }
  return graph;
}

/** Strongly connected groups of more than one folder (Tarjan): each is an import cycle between folders. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const state = new Map<string, { index: number; low: number; onStack: boolean }>();
  const found: string[][] = [];
  const visit = (v: string) => {
    state.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!state.has(w)) {
        visit(w);
        state.get(v)!.low = Math.min(state.get(v)!.low, state.get(w)!.low);
      } else if (state.get(w)!.onStack) {
        state.get(v)!.low = Math.min(state.get(v)!.low, state.get(w)!.index);
      }
    }
    if (state.get(v)!.low === state.get(v)!.index) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        state.get(w)!.onStack = false;
        group.push(w);
      } while (w !== v);
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!state.has(v)) visit(v);
  return found;
}

describe('the layout (DESIGN.md: layers import downwards only)', () => {
  it('has no import cycle between folders', () => {
    expect(cycles(folderGraph())).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    const graph = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c']]);
  });

  it('keeps src/ free of database-building code and of the commands it is handed', () => {
    for (const file of files(join(ROOT, 'src'))) {
      const source = readFileSync(file, 'utf8');
      // No development database in the product: no embedded server, no build of one, no import of dev/.
      expect(source, relative(ROOT, file)).not.toMatch(/from ['"]mongodb-memory-server['"]|\bgo build\b|from ['"][./]*\/dev\//);
      if (!/src\/(main|compose)\.ts$/.test(file)) expect(source, relative(ROOT, file)).not.toMatch(/from '[./]*\/commands\//);
    }
  });
});
