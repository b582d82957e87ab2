/**
 * Benchmark of the embedded MongoDB server through the official driver.
 *
 *   npx tsx tests/bench/embedded-mongo.bench.ts
 *
 * For ':memory:' and for a journaled data directory it measures inserts/s
 * (insertMany batches of 1000, single insertOne with a unique index) and
 * indexed finds/s (findOne by unique key, find by a non-unique indexed
 * field) with 1k (baseline), 10k and 100k documents already present, plus
 * a plain JS Map as the raw ceiling. Hash indexes should make the 100k/10k
 * ratios ≈ 1. Single-document operations run with 8 in flight (pooled
 * connections); the server runs in its own process like it does for hubs.
 */
import { MongoClient, type Collection, type Document } from 'mongodb';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One measured figure. */
export interface BenchResult {
  suite: 'embedded-mongo';
  /** ':memory:', 'journal' or 'js-map'. */
  mode: string;
  operation: string;
  /** Documents present when measuring. */
  size: number;
  opsPerSec: number;
  /** opsPerSec relative to the same operation at the 1k baseline (same mode, same run). */
  ratioToBaseline: number;
  /** opsPerSec relative to the plain Map figure for the same kind of operation. */
  ratioToMap: number;
}

const SIZES = [1_000, 10_000, 100_000];
const GROUPS_PER_1K = 100; // ~10 documents per non-unique key

type Op = 'insertMany(1000)' | 'insertOne(unique)' | 'findOne(unique)' | 'find(non-unique)';

const rate = (n: number, ms: number): number => Math.round((n * 1000) / Math.max(ms, 0.001));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const TRIALS = 5;

/** Operations in flight at once (a pooled driver, as a busy hub would use it). */
const CONCURRENCY = 8;

/** Runs `fn(0..n-1)` with CONCURRENCY awaited calls in flight; returns calls per second. */
async function timed(n: number, fn: (i: number) => Promise<unknown>, concurrency = CONCURRENCY): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await fn(next++);
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return rate(n, performance.now() - start);
}

const CLI = fileURLToPath(new URL('../../embedded-mongo/src/cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Starts the server as its own process (as hubs use it), so client-side
 * driver work does not compete with the server on one event loop.
 */
async function startServer(dataDir: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, '--data-dir', dataDir, '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    proc.once('exit', (code) => reject(new Error(`embedded-mongo exited with ${String(code)}`)));
  });
  return { url, proc };
}

function makeDocs(from: number, count: number, size: number): Document[] {
  const groups = Math.max(1, Math.floor((size / 1000) * GROUPS_PER_1K));
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      key: `k${i}`,
      group: `g${i % groups}`,
      n: i,
      at: new Date(1_700_000_000_000 + i),
      payload: 'x'.repeat(64),
    };
  });
}

/** A collection with a unique and a non-unique index holding exactly `size` documents. */
async function prepare(client: MongoClient, size: number): Promise<Collection> {
  const c = client.db('bench').collection(`c${size}`);
  await c.createIndex({ key: 1 }, { unique: true });
  await c.createIndex({ group: 1 });
  for (let i = 0; i < size; i += 1000)
    await c.insertMany(makeDocs(i, Math.min(1000, size - i), size), { ordered: false });
  return c;
}

/** One trial of the four operations; inserted documents are removed again so the size stays fixed. */
async function measureOnce(c: Collection, size: number): Promise<Record<Op, number>> {
  let next = size;
  const insertOne = await timed(600, () => c.insertOne(makeDocs(next++, 1, size)[0]!));
  const batches = 5;
  const insertMany =
    (await timed(
      batches,
      async () => {
        const docs = makeDocs(next, 1000, size);
        next += 1000;
        await c.insertMany(docs);
      },
      1,
    )) * 1000;
  // Remove this trial's inserts so the finds see exactly `size` documents.
  await c.deleteMany({ n: { $gte: size } });
  const findOne = await timed(1500, (i) => c.findOne({ key: `k${(i * 7919) % size}` }));
  const groups = Math.max(1, Math.floor((size / 1000) * GROUPS_PER_1K));
  const find = await timed(600, (i) => c.find({ group: `g${(i * 31) % groups}` }).toArray());
  return {
    'insertMany(1000)': insertMany,
    'insertOne(unique)': insertOne,
    'findOne(unique)': findOne,
    'find(non-unique)': find,
  };
}

/** Raw ceiling: the same logical operations on a Map. */
function measureMap(): { insert: number; find: number } {
  const map = new Map<string, Document>();
  const docs = makeDocs(0, 100_000, 100_000);
  let start = performance.now();
  for (const d of docs) map.set(d.key as string, d);
  const insert = rate(docs.length, performance.now() - start);
  start = performance.now();
  let hits = 0;
  for (let i = 0; i < 200_000; i++) if (map.get(`k${(i * 7919) % 100_000}`)) hits++;
  const find = rate(200_000, performance.now() - start);
  if (hits === 0) throw new Error('unreachable');
  return { insert, find };
}

async function runMode(mode: ':memory:' | 'journal', map: { insert: number; find: number }): Promise<BenchResult[]> {
  const dir = mode === 'journal' ? mkdtempSync(join(tmpdir(), 'embedded-mongo-bench-')) : ':memory:';
  const server = await startServer(dir);
  const client = await MongoClient.connect(server.url, { maxPoolSize: CONCURRENCY });
  try {
    const colls = new Map<number, Collection>();
    for (const size of SIZES) colls.set(size, await prepare(client, size));
    // Warm-up: JIT on both sides and a full connection pool.
    for (let i = 0; i < 2; i++) await measureOnce(colls.get(SIZES[0]!)!, SIZES[0]!);
    // Trials interleave the sizes so warm-up and background load hit every size alike.
    const trials = new Map<number, Array<Record<Op, number>>>(SIZES.map((s) => [s, []]));
    for (let t = 0; t < TRIALS; t++) {
      for (const size of SIZES) trials.get(size)!.push(await measureOnce(colls.get(size)!, size));
    }
    const figures = (size: number, op: Op): number => median(trials.get(size)!.map((r) => r[op]));
    const out: BenchResult[] = [];
    for (const size of SIZES) {
      for (const op of Object.keys(trials.get(size)![0]!) as Op[]) {
        const ceiling = op.startsWith('insert') ? map.insert : map.find;
        out.push({
          suite: 'embedded-mongo',
          mode,
          operation: op,
          size,
          opsPerSec: figures(size, op),
          ratioToBaseline: figures(size, op) / figures(SIZES[0]!, op),
          ratioToMap: figures(size, op) / ceiling,
        });
      }
    }
    return out;
  } finally {
    await client.close();
    server.proc.kill('SIGTERM');
    await new Promise((r) => server.proc.once('exit', r));
    if (dir !== ':memory:') rmSync(dir, { recursive: true, force: true });
  }
}

/** Formats results as a table: absolute numbers, ratios to the 1k baseline, 100k/10k and to the Map ceiling. */
export function formatTable(results: BenchResult[]): string {
  const lines = [
    'mode      operation          1k ops/s   10k ops/s  100k ops/s  10k/1k  100k/1k  100k/10k  100k vs Map',
  ];
  const key = (r: BenchResult): string => `${r.mode}|${r.operation}`;
  const rows = new Map<string, BenchResult[]>();
  for (const r of results) rows.set(key(r), [...(rows.get(key(r)) ?? []), r]);
  for (const [k, rs] of rows) {
    const [mode, op] = k.split('|') as [string, string];
    const at = (size: number): BenchResult | undefined => rs.find((r) => r.size === size);
    const num = (v: number | undefined): string => (v === undefined ? '-' : v.toLocaleString('en-US')).padStart(11);
    const ratio = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(2)).padStart(8);
    const r1 = at(1_000);
    const r10 = at(10_000);
    const r100 = at(100_000);
    lines.push(
      `${mode.padEnd(9)} ${op.padEnd(18)}${num(r1?.opsPerSec)}${num(r10?.opsPerSec)}${num(r100?.opsPerSec)}` +
        `${ratio(r10?.ratioToBaseline)} ${ratio(r100?.ratioToBaseline)} ${ratio(r100 && r10 ? r100.opsPerSec / r10.opsPerSec : undefined)}` +
        `   ${r100 ? `${(r100.ratioToMap * 100).toFixed(3)}%` : '-'}`,
    );
  }
  return lines.join('\n');
}

/** Runs the whole benchmark (≈ 30–50 s) and prints the table. */
export async function run(): Promise<BenchResult[]> {
  const map = measureMap();
  const results: BenchResult[] = [
    {
      suite: 'embedded-mongo',
      mode: 'js-map',
      operation: 'Map.set',
      size: 100_000,
      opsPerSec: map.insert,
      ratioToBaseline: 1,
      ratioToMap: 1,
    },
    {
      suite: 'embedded-mongo',
      mode: 'js-map',
      operation: 'Map.get',
      size: 100_000,
      opsPerSec: map.find,
      ratioToBaseline: 1,
      ratioToMap: 1,
    },
  ];
  for (const mode of [':memory:', 'journal'] as const) results.push(...(await runMode(mode, map)));
  console.log(formatTable(results));
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  run().then(
    () => console.log(`embedded-mongo bench finished in ${((Date.now() - started) / 1000).toFixed(1)} s`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
