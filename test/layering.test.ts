/**
 * The layering the design fixes, checked on the source tree itself:
 * protocol/ is pure (no I/O modules, nothing from daemon/ or tui/), tui/ reaches the daemon
 * only through its local API client, no module imports itself through a cycle, and no folder
 * does either (daemon/tor -> daemon/transport -> daemon/tor is a cycle even when no file is on
 * one). Nothing outside daemon/cli imports daemon/cli, and daemon/pub (the pub program) and
 * daemon/pub-links (the daemon's side of pubs) never import each other.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test');
    dir = up;
  }
  return dir;
}

const ROOT = repoRoot();
const SOURCE_DIRS = ['protocol', 'daemon', 'tui', 'bench'];

function sourceFiles(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const name of readdirSync(abs)) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(relative(ROOT, p)));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(relative(ROOT, p));
  }
  return out;
}

/**
 * Static and dynamic import specifiers of a TypeScript file; type-only imports excluded unless
 * `withTypes` (they create no runtime cycle, but they still couple one part to another).
 */
function importsOf(file: string, withTypes = false): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs: string[] = [];
  const re = withTypes
    ? /^\s*(?:import|export)\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm
    : /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(re)) specs.push((m[1] ?? m[2])!);
  return specs;
}

function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const target = resolve(join(ROOT, dirname(from)), spec);
  for (const candidate of [target.replace(/\.js$/, '.ts'), target.replace(/\.js$/, '.tsx')]) {
    if (existsSync(candidate)) return relative(ROOT, candidate);
  }
  return null;
}

/**
 * The part a file belongs to: its folder two levels down (daemon/pub/store/x.ts is part of
 * daemon/pub), or the file itself when it sits at the top of a source folder (daemon/abort.ts,
 * a shared helper, is a part of its own).
 */
function partOf(file: string): string {
  const segments = file.split('/');
  return segments.length >= 3 ? segments.slice(0, 2).join('/') : file;
}

function inFolder(file: string, folder: string): boolean {
  return file.startsWith(folder + '/');
}

/** Every cycle of a directed graph, each as 'a -> b -> a'. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (node: string, stack: string[]) => {
    state.set(node, 'visiting');
    for (const next of graph.get(node) ?? []) {
      const s = state.get(next);
      if (s === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), node, next].join(' -> '));
      else if (s === undefined) visit(next, [...stack, node]);
    }
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node, []);
  return cycles;
}

const IO_MODULES = new Set([
  'fs', 'fs/promises', 'net', 'child_process', 'http', 'https', 'http2', 'dgram', 'tls', 'dns', 'worker_threads',
  'cluster', 'readline', 'timers', 'timers/promises', 'level', 'classic-level', 'ws', 'socks-proxy-agent', 'os',
]);

describe('the source layering', () => {
  const files = SOURCE_DIRS.flatMap(sourceFiles);

  it('keeps protocol/ free of I/O modules and of daemon/ and tui/', () => {
    const offences: string[] = [];
    for (const file of files.filter((f) => f.startsWith('protocol/'))) {
      for (const spec of importsOf(file)) {
        const bare = spec.replace(/^node:/, '');
        if (IO_MODULES.has(bare)) offences.push(`${file} imports ${spec}`);
        const local = resolveLocal(file, spec);
        if (local !== null && !local.startsWith('protocol/')) offences.push(`${file} imports ${local}`);
      }
    }
    assert.deepEqual(offences, []);
  });

  it('lets tui/ reach the daemon only through its local API client', () => {
    const offences: string[] = [];
    for (const file of files.filter((f) => f.startsWith('tui/'))) {
      for (const spec of importsOf(file)) {
        const local = resolveLocal(file, spec);
        if (local !== null && local.startsWith('daemon/') && !local.startsWith('daemon/api/')) offences.push(`${file} imports ${local}`);
      }
    }
    assert.deepEqual(offences, []);
  });

  it('has no import cycles', () => {
    const graph = new Map<string, string[]>();
    for (const file of files) {
      graph.set(file, importsOf(file).map((s) => resolveLocal(file, s)).filter((x): x is string => x !== null));
    }
    assert.deepEqual(findCycles(graph), []);
  });

  it('has no cycles between folders', () => {
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const from = partOf(file);
      const edges = graph.get(from) ?? [];
      for (const spec of importsOf(file, true)) {
        const local = resolveLocal(file, spec);
        if (local === null) continue;
        const to = partOf(local);
        if (to !== from && !edges.includes(to)) edges.push(to);
      }
      graph.set(from, edges);
    }
    assert.deepEqual(findCycles(graph), []);
  });

  it('finds a cycle between two folders when there is one (the check above can fail)', () => {
    const graph = new Map([
      ['daemon/pub', ['daemon/cli', 'protocol']],
      ['daemon/cli', ['daemon/pub']],
      ['protocol', []],
    ]);
    assert.deepEqual(findCycles(graph), ['daemon/pub -> daemon/cli -> daemon/pub']);
    assert.equal(partOf('daemon/pub/store/reader.ts'), 'daemon/pub');
    assert.equal(partOf('daemon/abort.ts'), 'daemon/abort.ts');
  });

  it('lets nothing outside daemon/cli import daemon/cli', () => {
    const offences: string[] = [];
    for (const file of files.filter((f) => !inFolder(f, 'daemon/cli'))) {
      for (const spec of importsOf(file, true)) {
        const local = resolveLocal(file, spec);
        if (local !== null && inFolder(local, 'daemon/cli')) offences.push(`${file} imports ${local}`);
      }
    }
    assert.deepEqual(offences, []);
  });

  it('keeps daemon/pub and daemon/pub-links from importing each other', () => {
    const offences: string[] = [];
    const pairs: [string, string][] = [
      ['daemon/pub', 'daemon/pub-links'],
      ['daemon/pub-links', 'daemon/pub'],
    ];
    for (const [from, to] of pairs) {
      for (const file of files.filter((f) => inFolder(f, from))) {
        for (const spec of importsOf(file, true)) {
          const local = resolveLocal(file, spec);
          if (local !== null && inFolder(local, to)) offences.push(`${file} imports ${local}`);
        }
      }
    }
    assert.deepEqual(offences, []);
  });
});
