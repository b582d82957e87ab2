/**
 * Summarises a `node --cpu-prof` profile: self time by function and by file, largest first.
 * `npx tsx tests/bench/load/profile-summary.ts FILE.cpuprofile [TOP]`
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const [file, topArg] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const top = Number(topArg ?? 30);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map<string, number>();
const files = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const short = url.replace(/^.*\/node_modules\//, '~/').replace(/^file:\/\/.*\/capacity\//, '');
  fn.set(
    `${functionName || '(anon)'} ${short}:${lineNumber + 1}`,
    (fn.get(`${functionName || '(anon)'} ${short}:${lineNumber + 1}`) ?? 0) + us,
  );
  const f = short.startsWith('~/')
    ? short
        .split('/')
        .slice(0, short.startsWith('~/@') ? 3 : 2)
        .join('/')
    : short || `(${functionName})`;
  files.set(f, (files.get(f) ?? 0) + us);
}
const show = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([k, us]) =>
      console.log(`${((us / total) * 100).toFixed(1).padStart(5)}% ${(us / 1e6).toFixed(2).padStart(7)} s  ${k}`),
    );
console.log(`total ${(total / 1e6).toFixed(1)} s sampled\n-- by function (self)`);
show(fn);
console.log('-- by file or package (self)');
show(files);
