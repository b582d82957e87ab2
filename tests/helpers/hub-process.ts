/**
 * Hub instances as real child processes (`node server/dist/main.js`, built by
 * `npm run build -w server`), and the standalone embedded database they share, for the
 * scale-out and operations tests: spawn, wait for /readyz, kill -9, SIGTERM and wait for exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { eventually } from './hub.ts';
import { freePort } from './redis-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'server/dist/main.js');
const EMBEDDED = path.join(ROOT, 'embedded-mongo/dist/cli.js');

/** The secret every instance shares, so a token from one is valid on all. */
export const SHARED_SECRET = 'scale-secret-scale-secret-scale-secret-01';

/** Short timings, so sweeps, grace periods and flushes happen within a test. */
export const FAST_TIMINGS = {
  HEARTBEAT_INTERVAL_MS: '5000',
  STALE_AFTER_MS: '10000',
  SWEEP_INTERVAL_MS: '1000',
  DISCONNECT_GRACE_MS: '2000',
  FLUSH_INTERVAL_MS: '100',
} as const;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process with its output collected. */
interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
}

function run(file: string, args: string[], env: Record<string, string>, launcher: string[] = []): Child {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run build -w server\` first`);
  // The parent's database and Redis must never leak into a child: each test names its own.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(MONGO_URL|REDIS_URL|HUB_JWT_SECRET|NODE_ENV|PORT|HOST|DATA_DIR|LOG_LEVEL|INSTANCE_ID)$/.test(k),
    ),
  );
  const [cmd, ...pre] = [...launcher, process.execPath];
  const proc = spawn(cmd!, [...pre, file, ...args], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<Exit>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** The database the hubs of a test share: the standalone embedded server, or `MONGO_URL`'s. */
export interface DbProcess {
  /** Base URL ending in '/'; append a database name. */
  url: string;
  stop(): Promise<void>;
}

/** The standalone embedded database as a child process the test owns, for fault tests. */
export interface OwnedDbProcess extends DbProcess {
  port: number;
  dataDir: string;
  pid: number;
  /** kill -9: the process is gone at once, like a crash. */
  kill9(): Promise<void>;
  /** SIGSTOP: the process hangs; its port still accepts connections, nothing answers. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Starts it again on the same port and data directory (after `kill9` or `stop`). */
  restart(): Promise<void>;
}

/**
 * The database for multi-process tests: the run's `MONGO_URL` when one is set (a real MongoDB
 * in CI), else the standalone embedded server in a child process. Each test appends its own
 * database name. Fault tests that must kill or stop the database use `startOwnedDbProcess`.
 */
export async function startDbProcess(): Promise<DbProcess> {
  if (inject('mongoKind') === 'env') return { url: inject('mongoUrl'), stop: async () => {} };
  return startOwnedDbProcess();
}

/** Starts `embedded-mongo/dist/cli.js` and waits for its `listening` line. */
export async function startOwnedDbProcess(opts: { port?: number; dataDir?: string } = {}): Promise<OwnedDbProcess> {
  const dataDir = opts.dataDir ?? ':memory:';
  // Killed and restarted on the same port: one no `listen(0)` of the run can be given (freePort).
  let port = opts.port ?? (await freePort());
  let c = await launchDb(port, dataDir);
  port = c.port;
  const gone = () => c.child.proc.exitCode !== null || c.child.proc.signalCode !== null;
  return {
    url: `mongodb://127.0.0.1:${port}/`,
    port,
    dataDir,
    get pid() {
      return c.child.proc.pid!;
    },
    async stop() {
      if (gone()) return;
      c.child.proc.kill('SIGCONT');
      c.child.proc.kill('SIGTERM');
      await c.child.exited;
    },
    async kill9() {
      if (gone()) return;
      c.child.proc.kill('SIGKILL');
      await c.child.exited;
    },
    pause() {
      c.child.proc.kill('SIGSTOP');
    },
    resume() {
      c.child.proc.kill('SIGCONT');
    },
    async restart() {
      if (!gone()) throw new Error('the database process is still running');
      c = await launchDb(port, dataDir);
    },
  };
}

async function launchDb(port: number, dataDir: string): Promise<{ child: Child; port: number }> {
  const child = run(EMBEDDED, ['--port', String(port), '--data-dir', dataDir], {});
  const url = await eventually(() => {
    if (child.proc.exitCode !== null) throw new Error(`embedded database exited: ${child.stderr()}`);
    for (const line of child.stdout().split('\n')) {
      if (line.startsWith('{') && (JSON.parse(line) as { event?: string }).event === 'listening')
        return (JSON.parse(line) as { url: string }).url;
    }
    return null;
  }, 20_000);
  return { child, port: Number(new URL(url).port) };
}

/** One hub instance running as a child process. */
export interface HubProcess {
  name: string;
  url: string;
  port: number;
  env: Record<string, string>;
  proc: ChildProcess;
  exited: Promise<Exit>;
  /** stdout so far (pino's JSON lines). */
  stdout(): string;
  stderr(): string;
  /** The JSON log lines written so far. */
  logs(): Record<string, unknown>[];
  /** Log lines at level error or fatal (unhandled rejections, failed events, failed shutdowns). */
  errors(): Record<string, unknown>[];
  /** kill -9: no shutdown code runs, exactly like a crash. */
  kill9(): Promise<Exit>;
  /** SIGTERM; resolves with the exit and how long it took. */
  terminate(): Promise<Exit & { ms: number }>;
}

/** Base environment for an instance against a database URL and a Redis URL. */
export function hubEnv(
  mongoUrl: string,
  redisUrl: string | null,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    DATA_DIR: ':memory:',
    LOG_LEVEL: 'warn',
    HUB_JWT_SECRET: SHARED_SECRET,
    MONGO_URL: mongoUrl,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    ...FAST_TIMINGS,
    ...extra,
  };
}

/** Resolves once GET /readyz answers 200. */
export async function waitReady(url: string, timeoutMs = 30_000, exited?: () => boolean): Promise<void> {
  await eventually(
    async () => {
      if (exited?.()) throw new Error('process exited');
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) }).catch(() => null);
      return res?.status === 200;
    },
    timeoutMs,
    100,
  );
}

/**
 * Spawns `node server/dist/main.js` on a free port (or `env.PORT`) and waits until it is ready.
 * `launcher` runs node through another command, e.g. `['prlimit', '--nofile=300:300']`.
 */
export async function spawnHub(
  name: string,
  env: Record<string, string>,
  opts: { launcher?: string[] } = {},
): Promise<HubProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const full = { ...env, PORT: String(port), INSTANCE_ID: env.INSTANCE_ID ?? name };
  const c = run(MAIN, [], full, opts.launcher);
  const url = `http://127.0.0.1:${port}`;
  const gone = () => c.proc.exitCode !== null || c.proc.signalCode !== null;
  try {
    await waitReady(url, 40_000, gone);
  } catch (err) {
    c.proc.kill('SIGKILL');
    throw new Error(
      `hub ${name} did not become ready: ${(err as Error).message}\n${c.stderr()}\n${c.stdout().slice(-2_000)}`,
    );
  }
  const logs = () =>
    c
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    name,
    url,
    port,
    env: full,
    proc: c.proc,
    exited: c.exited,
    stdout: c.stdout,
    stderr: c.stderr,
    logs,
    errors: () => logs().filter((l) => Number(l.level) >= 50),
    async kill9() {
      if (!gone()) c.proc.kill('SIGKILL');
      return c.exited;
    },
    async terminate() {
      const started = Date.now();
      if (!gone()) c.proc.kill('SIGTERM');
      return { ...(await c.exited), ms: Date.now() - started };
    },
  };
}

/** Starts several instances at once (startup is mostly module loading; do it in parallel). */
export function spawnHubs<N extends string[]>(
  names: [...N],
  env: Record<string, string>,
): Promise<{ [K in keyof N]: HubProcess }> {
  return Promise.all(names.map((n) => spawnHub(n, env))) as Promise<{ [K in keyof N]: HubProcess }>;
}

/** Reads one metric sample's value from Prometheus text (sums samples whose labels include `labels`). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | null {
  let found = false;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).some(([k, v]) => have[k] !== v)) continue;
    found = true;
    sum += Number(m[4]);
  }
  return found ? sum : null;
}

/** GET /metrics of an instance. */
export async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}
