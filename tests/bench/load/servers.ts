/**
 * The processes of a load benchmark: the server under test pinned to core 0, the database in
 * its own process when asked, and the load generator pinned to core 1. Each server is started
 * with probe.mjs preloaded, so heap and event-loop delay can be read over IPC.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BSON, MongoClient } from 'mongodb';
import { freePort, waitForPort } from '../../helpers/redis-server.ts';
import { BENCH_SECRET } from './tokens.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HERE = path.dirname(fileURLToPath(import.meta.url));
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;

export type ServerKind = 'bare' | 'hub' | 'hub-db-process';

export interface Probe {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  eldP50: number;
  eldP99: number;
  eldMax: number;
  /** Garbage collection since the last reset: scavenges, full collections, the rest, longest pause. */
  gcMinorMs: number;
  gcMajorMs: number;
  gcOtherMs: number;
  gcMaxMs: number;
  sinceResetMs: number;
}

/** A command the database process logged as slow (`--slow-ms`): when (epoch ms), what, how long. */
export interface SlowCommand {
  at: number;
  command: string;
  ns: string;
  ms: number;
  returned?: number;
  ops?: number;
}

export interface ServerUnderTest {
  kind: ServerKind;
  url: string;
  pid: number;
  /** The database's own process, when it has one. */
  dbPid: number | null;
  /** Commands the database process logged as slower than 100 ms so far (empty without one). */
  slowCommands(): SlowCommand[];
  /** The MongoDB URL (with database name) the hub writes to; null for bare. */
  mongoUrl: string | null;
  /** Memory and event-loop delay; `afterGc` (server started with `--expose-gc`) collects garbage first. */
  probe(opts?: { afterGc?: boolean }): Promise<Probe>;
  resetDelay(): void;
  /** Writes a heap snapshot to `file`; resolves with its path. */
  heapSnapshot(file: string): Promise<string>;
  /** Starts the CPU profiler; `stopProfile` writes the profile to `file`. */
  startProfile(): void;
  stopProfile(file: string): Promise<string>;
  stop(): Promise<void>;
}

/** `taskset -c <core>` when available (the machine has 2 cores; else no pinning). */
function pinned(core: number, args: string[]): [string, string[]] {
  return hasTaskset ? ['taskset', ['-c', String(core), ...args]] : [args[0]!, args.slice(1)];
}

function exitOf(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => p.once('exit', () => r()));
}

interface DbProcess {
  url: string;
  pid: number;
  slow: SlowCommand[];
  stop: () => Promise<void>;
}

async function startDbProcess(): Promise<DbProcess> {
  if (process.env.MONGO_URL) {
    const base = process.env.MONGO_URL.replace(/\/[^/?]*(\?.*)?$/, '/');
    return { url: `${base}bench_${Date.now().toString(36)}`, pid: 0, slow: [], stop: async () => {} };
  }
  const [cmd, args] = pinned(1, [
    process.execPath,
    path.join(ROOT, 'embedded-mongo/dist/cli.js'),
    '--port',
    '0',
    '--data-dir',
    ':memory:',
    '--slow-ms',
    '100',
  ]);
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const slow: SlowCommand[] = [];
  createInterface({ input: p.stderr! }).on('line', (line) => {
    const entry = parseSlow(line);
    if (entry) slow.push(entry);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    p.once('exit', () => reject(new Error('embedded database exited')));
  });
  return {
    url: `${url.replace(/\/$/, '')}/activityhub`,
    pid: p.pid!,
    slow,
    stop: async () => void (p.kill('SIGTERM'), await exitOf(p)),
  };
}

function parseSlow(line: string): SlowCommand | null {
  try {
    const x = JSON.parse(line) as Partial<SlowCommand> & { msg?: string; time?: string };
    if (x.msg !== 'slow command' || typeof x.ms !== 'number') return null;
    return {
      at: Date.parse(x.time ?? ''),
      command: String(x.command),
      ns: String(x.ns),
      ms: x.ms,
      ...(x.returned !== undefined ? { returned: x.returned } : {}),
      ...(x.ops !== undefined ? { ops: x.ops } : {}),
    };
  } catch {
    return null;
  }
}

/** The embedded database's port inside a hub process: its listening socket other than `httpPort`. */
function embeddedPort(pid: number, httpPort: number): number | null {
  const out = spawnSync('ss', ['-Hltnp'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of out.split('\n')) {
    if (!line.includes(`pid=${pid},`)) continue;
    const port = Number(/:(\d+)\s/.exec(line.split(/\s+/).slice(3, 4).join(' ') + ' ')?.[1]);
    if (port && port !== httpPort) return port;
  }
  return null;
}

export interface StartOptions {
  /** Extra hub environment. */
  env?: Record<string, string>;
  /** Extra node flags for the server (e.g. --cpu-prof). */
  nodeFlags?: string[];
}

/** Starts one server under test on a free port, pinned to core 0, and waits until it listens. */
export async function startServer(kind: ServerKind, opts: StartOptions = {}): Promise<ServerUnderTest> {
  const port = await freePort();
  const db = kind === 'hub-db-process' ? await startDbProcess() : null;
  const node = [process.execPath, ...(opts.nodeFlags ?? []), '--import', path.join(HERE, 'probe.mjs')];
  const script =
    kind === 'bare' ? [path.join(HERE, 'bare-server.mjs'), String(port)] : [path.join(ROOT, 'server/dist/main.js')];
  const [cmd, args] = pinned(0, [...node, ...script]);
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: ':memory:',
    LOG_LEVEL: 'warn',
    HUB_JWT_SECRET: BENCH_SECRET,
    MONGO_URL: db?.url ?? '',
    REDIS_URL: '',
    ...opts.env,
  };
  const p = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const probes: ((x: Probe) => void)[] = [];
  const snapshots: ((file: string) => void)[] = [];
  const profiles: ((file: string) => void)[] = [];
  p.on('message', (m: { probe?: Probe; snapshot?: string; profile?: string }) => {
    if (m.probe) probes.shift()?.(m.probe);
    if (m.profile) profiles.shift()?.(m.profile);
    if (m.snapshot) snapshots.shift()?.(m.snapshot);
  });
  await waitForPort(port, 60_000);
  if (kind !== 'bare') {
    // Ready means the database is open too.
    for (let i = 0; i < 600; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let mongoUrl = db?.url ?? null;
  if (kind === 'hub') {
    const dbPort = embeddedPort(p.pid!, port);
    mongoUrl = dbPort ? `mongodb://127.0.0.1:${dbPort}/activityhub` : null;
  }
  return {
    kind,
    url: `http://127.0.0.1:${port}`,
    pid: p.pid!,
    dbPid: db?.pid || null,
    slowCommands: () => db?.slow ?? [],
    mongoUrl,
    probe: (o) =>
      new Promise<Probe>((resolve) => {
        probes.push(resolve);
        p.send(o?.afterGc ? 'probe-gc' : 'probe');
      }),
    resetDelay: () => void p.send('reset'),
    startProfile: () => void p.send({ profileStart: true }),
    stopProfile: (file) =>
      new Promise<string>((resolve) => {
        profiles.push(resolve);
        p.send({ profileStop: file });
      }),
    heapSnapshot: (file) =>
      new Promise<string>((resolve) => {
        snapshots.push(resolve);
        p.send({ snapshot: file });
      }),
    async stop() {
      p.kill('SIGTERM');
      const killer = setTimeout(() => p.kill('SIGKILL'), 15_000);
      await exitOf(p);
      clearTimeout(killer);
      await db?.stop();
    },
  };
}

/** Page views stored and engaged time credited, read straight from the database. */
export async function storedCounts(
  mongoUrl: string,
): Promise<{ pageviews: number; engagedMs: number; maxDocBytes: number }> {
  const client = new MongoClient(mongoUrl, {
    directConnection: !process.env.MONGO_URL,
    serverSelectionTimeoutMS: 5_000,
  });
  try {
    await client.connect();
    // Summed here rather than in an aggregation: the embedded server has no $bsonSize.
    const out = { pageviews: 0, engagedMs: 0, maxDocBytes: 0 };
    for await (const doc of client.db().collection('pageviews').find({})) {
      out.pageviews++;
      out.engagedMs += Number(doc.engagedMs ?? 0);
      out.maxDocBytes = Math.max(out.maxDocBytes, BSON.calculateObjectSize(doc));
    }
    return out;
  } finally {
    await client.close();
  }
}

/** The load generator process, pinned to core 1. */
export interface Generator {
  call<T = Record<string, unknown>>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

export async function startGenerator(): Promise<Generator> {
  const [cmd, args] = pinned(1, [process.execPath, '--import', 'tsx', path.join(HERE, 'generator.ts')]);
  const p = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  const ready = new Promise<void>((resolve, reject) => {
    p.once('exit', (code) => reject(new Error(`generator exited with ${code}`)));
    p.on('message', (m: { ready?: boolean; id?: number; result?: unknown; error?: string }) => {
      if (m.ready) return resolve();
      const w = waiting.get(m.id!);
      if (!w) return;
      waiting.delete(m.id!);
      if (m.error) w.reject(new Error(`generator: ${m.error}`));
      else w.resolve(m.result);
    });
  });
  await ready;
  p.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`generator exited with ${code}`));
  });
  return {
    call: <T>(c: string, a: Record<string, unknown> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        p.send({ id, cmd: c, ...a });
      }),
    async stop() {
      p.kill('SIGKILL');
      await exitOf(p);
    },
  };
}

export const exists = (f: string) => fs.existsSync(path.join(ROOT, f));
