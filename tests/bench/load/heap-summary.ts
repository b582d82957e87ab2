/**
 * Summarises a heap snapshot: self size and count by type and constructor name, largest first,
 * and per tracker when given their number. `npx tsx tests/bench/load/heap-summary.ts FILE [TRACKERS]`
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

const [file, trackers] = process.argv.slice(2);
const snap = JSON.parse(readFileSync(file!, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const F = fields.length;
const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
const by = new Map<string, { n: number; bytes: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += F) {
  const type = types[snap.nodes[i + iType!]!]!;
  let name = snap.strings[snap.nodes[i + iName!]!]!;
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(string)';
  if (type === 'number') name = '(heap number)';
  const key = `${type}: ${name.slice(0, 60)}`;
  const size = snap.nodes[i + iSize!]!;
  total += size;
  const e = by.get(key) ?? { n: 0, bytes: 0 };
  e.n++;
  e.bytes += size;
  by.set(key, e);
}
const per = trackers ? Number(trackers) : 0;
console.log(
  `total self size ${(total / 1e6).toFixed(1)} MB${per ? `, ${(total / per / 1024).toFixed(1)} KB per tracker` : ''}`,
);
for (const [k, v] of [...by].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 40)) {
  console.log(
    `${(v.bytes / 1e6).toFixed(2).padStart(8)} MB ${String(v.n).padStart(8)}${per ? ` ${(v.n / per).toFixed(1).padStart(6)}/tr ${(v.bytes / per).toFixed(0).padStart(6)} B/tr` : ''}  ${k}`,
  );
}
