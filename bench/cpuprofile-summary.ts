/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by source
 * file, the largest first. `node dist/bench/cpuprofile-summary.js FILE [TOP]`.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

function shortUrl(url: string): string {
  const m = /\/(dist|node_modules)\/(.*)$/.exec(url);
  if (m) return m[1] === 'dist' ? m[2]! : `node_modules/${m[2]!}`;
  return url.replace(/^node:/, '') || '(native)';
}

/** The summary of `profile`, as lines: the `top` functions and files by self time. */
export function summariseProfile(profile: Profile, top = 30): string {
  let out = '';
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = profile.endTime - profile.startTime;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    const url = shortUrl(f.url);
    const name = `${f.functionName || '(anonymous)'} ${url}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byFile.set(url, (byFile.get(url) ?? 0) + us);
  }
  const print = (title: string, m: Map<string, number>): void => {
    out += `${title}\n`;
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      out += `  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}\n`;
    }
  };
  out += `profile of ${(total / 1e6).toFixed(2)} s (main thread)\n`;
  print('self time by function', byFunction);
  print('self time by file', byFile);
  return out;
}

export type { Profile };

/** Runs `fn` under V8's sampling profiler (node:inspector, what `node --cpu-prof` uses; 200 µs); its profile. */
export async function profileWhile(fn: () => Promise<void>): Promise<Profile> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    await fn();
    return ((await session.post('Profiler.stop')) as { profile: Profile }).profile;
  } finally {
    session.disconnect();
  }
}

if (process.argv[1]?.endsWith('cpuprofile-summary.js')) {
  const [file, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpuprofile-summary FILE [TOP]');
  process.stdout.write(summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(top ?? 30)));
}
