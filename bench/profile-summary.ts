// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by package/file.
//   npx tsx bench/profile-summary.ts <file.cpuprofile> [top=25]
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame's code lives: the npm package, or the repo-relative file. */
function owner(url: string): string {
  if (!url) return '(native/vm)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return url;
  const r = /\/(lambda\/.*|bench\/.*)$/.exec(url);
  return r ? r[1]! : url;
}

export function summarize(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // Each sample's time is the delta that follows it (V8's convention).
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const key = `${functionName || '(anonymous)'}  ${owner(url)}${url ? ':' + (lineNumber + 1) : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    pkg.set(owner(url), (pkg.get(owner(url)) ?? 0) + us);
  }
  const table = (m: Map<string, number>, title: string) =>
    [`${title} (of ${(total / 1000).toFixed(0)} ms sampled)`, ...[...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`)].join('\n');
  return `${table(pkg, 'Self time by package/file')}\n\n${table(fn, 'Self time by function')}`;
}

const invoked = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  const profile = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as CpuProfile;
  console.log(summarize(profile, Number(process.argv[3] ?? 25)));
}
