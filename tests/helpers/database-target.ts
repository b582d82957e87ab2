import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '@activity-hub/embedded-mongo';
import { freePort, hasCommand, waitForPort } from './redis-server.ts';

export type DatabaseKind = 'env' | 'mongod' | 'embedded';

export interface DatabaseTarget {
  kind: DatabaseKind;
  /** Base URL without a database name. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The database for a test run, in this order: `MONGO_URL`, then a `mongod` on PATH (started
 * on a free port with a temporary dbpath), then the embedded MongoDB-wire server.
 */
export async function startDatabaseTarget(): Promise<DatabaseTarget> {
  const fromEnv = process.env.MONGO_URL;
  if (fromEnv) {
    await assertReachable(fromEnv);
    return { kind: 'env', url: fromEnv.replace(/\/[^/?]*(\?.*)?$/, '/'), stop: async () => {} };
  }
  if (hasCommand('mongod')) return startMongod();
  const embedded = await startEmbeddedMongo({ port: 0, dataDir: ':memory:' });
  return {
    kind: 'embedded',
    url: embedded.url.endsWith('/') ? embedded.url : `${embedded.url}/`,
    stop: () => embedded.close(),
  };
}

/**
 * A MONGO_URL the run cannot reach fails it at once, loudly (under CI=true and elsewhere): the
 * run must never pass against some other database than the one it was given.
 */
async function assertReachable(url: string): Promise<void> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 15_000 });
  try {
    await client.db('admin').command({ ping: 1 });
  } catch (err) {
    const where = url.replace(/\/\/[^@/]+@/, '//***@');
    throw new Error(
      `Test harness: MONGO_URL=${where} cannot be reached${process.env.CI === 'true' ? ' (CI=true)' : ''}: ${(err as Error).message}`,
    );
  } finally {
    await client.close();
  }
}

async function startMongod(): Promise<DatabaseTarget> {
  const port = await freePort();
  const dbpath = fs.mkdtempSync(path.join(os.tmpdir(), 'ah-mongod-'));
  const proc: ChildProcess = spawn(
    'mongod',
    ['--port', String(port), '--bind_ip', '127.0.0.1', '--dbpath', dbpath, '--quiet'],
    { stdio: 'ignore' },
  );
  await waitForPort(port, 30_000);
  return {
    kind: 'mongod',
    url: `mongodb://127.0.0.1:${port}/`,
    async stop() {
      proc.kill('SIGTERM');
      fs.rmSync(dbpath, { recursive: true, force: true });
    },
  };
}

/** A database name unique to one test file or test. */
export function uniqueDbName(prefix: string): string {
  return `${prefix.replace(/[^a-z0-9]/gi, '_').slice(0, 30)}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
