/**
 * Test targets for the conformance suite: the embedded server always, plus
 * a real MongoDB when MONGO_URL is set or `mongod` is on PATH (started on a
 * free port with a temporary dbpath). The same assertions run on each, so
 * any difference between embedded and real MongoDB shows up as a failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongoOptions } from '../src/index.ts';

/** A running server to test against. */
export interface RunningTarget {
  url: string;
  stop(): Promise<void>;
}

/** A target definition; `embedded` marks the in-process server. */
export interface TargetDef {
  name: string;
  embedded: boolean;
  start(opts?: Partial<EmbeddedMongoOptions>): Promise<RunningTarget>;
}

const quietLog: EmbeddedMongoOptions['log'] = (level, msg, extra) => {
  if (level === 'error') process.stderr.write(`[embedded-mongo] ${msg} ${JSON.stringify(extra ?? {})}\n`);
};

const embedded: TargetDef = {
  name: 'embedded',
  embedded: true,
  async start(opts) {
    const server = await startEmbeddedMongo({ dataDir: ':memory:', log: quietLog, ...opts });
    return { url: server.url, stop: () => server.close() };
  },
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function waitForServer(url: string, proc: ChildProcess | null): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 500 });
      await client.close();
      return;
    } catch (err) {
      if (proc?.exitCode !== null && proc?.exitCode !== undefined)
        throw new Error(`mongod exited with ${proc.exitCode}`);
      if (Date.now() > deadline) throw err;
    }
  }
}

function realMongoTarget(): TargetDef | null {
  const envUrl = process.env.MONGO_URL;
  if (envUrl) {
    return {
      name: 'mongodb(MONGO_URL)',
      embedded: false,
      start: async () => ({ url: envUrl.endsWith('/') ? envUrl : `${envUrl}/`, stop: async () => undefined }),
    };
  }
  if (spawnSync('mongod', ['--version'], { stdio: 'ignore' }).status !== 0) return null;
  return {
    name: 'mongod(PATH)',
    embedded: false,
    async start() {
      const port = await freePort();
      const dbpath = mkdtempSync(join(tmpdir(), 'conformance-mongod-'));
      const proc = spawn('mongod', ['--port', String(port), '--dbpath', dbpath, '--bind_ip', '127.0.0.1', '--quiet'], {
        stdio: 'ignore',
      });
      const url = `mongodb://127.0.0.1:${port}/`;
      await waitForServer(url, proc);
      return {
        url,
        stop: async () => {
          proc.kill('SIGTERM');
          await new Promise((r) => proc.once('exit', r));
          rmSync(dbpath, { recursive: true, force: true });
        },
      };
    },
  };
}

/** All available targets; logs which ones will run. */
export function conformanceTargets(suite: string): TargetDef[] {
  const real = realMongoTarget();
  const targets = real ? [embedded, real] : [embedded];
  const note = real ? '' : ' (no MONGO_URL / mongod on PATH: real MongoDB not compared)';
  process.stdout.write(`[${suite}] conformance targets: ${targets.map((t) => t.name).join(', ')}${note}\n`);
  return targets;
}

/** Only the embedded server (journaling, TTL timing, cursor timeouts). */
export const embeddedTarget = embedded;

/** Unique database name per test file and target. */
export function uniqueDbName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Collects every `stage` and `indexName` anywhere in an explain document. */
export function planSummary(explain: unknown): { stages: string[]; indexNames: string[] } {
  const stages: string[] = [];
  const indexNames: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k === 'stage' && typeof child === 'string') stages.push(child);
        else if (k === 'indexName' && typeof child === 'string') indexNames.push(child);
        else walk(child);
      }
    }
  };
  walk(explain);
  return { stages, indexNames };
}
