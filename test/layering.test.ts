/**
 * The layering the design fixes, checked on the source tree itself:
 * protocol/ is pure (no I/O modules, nothing from daemon/ or tui/), tui/ reaches the daemon
 * only through its local API client, and no module imports itself through a cycle.
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

/** Static and dynamic import specifiers of a TypeScript file (type-only imports excluded). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs: string[] = [];
  const re = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
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
    for (const file of graph.keys()) if (!state.has(file)) visit(file, []);
    assert.deepEqual(cycles, []);
  });
});
