/**
 * The per-target set-up the conformance suites share: start the target, connect the raw driver
 * and mongoose to a database of their own, and drop it and shut everything down afterwards.
 */
import { MongoClient, type Db } from 'mongodb';
import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll } from 'vitest';
import { uniqueDbName, type RunningTarget, type TargetDef } from './targets.ts';

/** What the beforeAll of `useTargetConnections` fills in. */
export interface TargetConnections {
  /** This suite's database on the target (set at once, before any hook runs). */
  readonly dbName: string;
  running: RunningTarget;
  /** The raw driver, and `db` on `dbName` through it. */
  client: MongoClient;
  db: Db;
  /** A mongoose connection to the same database. */
  conn: Connection;
}

/**
 * Registers the beforeAll/afterAll that start `target` and connect to a fresh database named
 * after `prefix`. Read the fields inside hooks and tests only: they are empty until beforeAll.
 */
export function useTargetConnections(target: TargetDef, prefix: string): TargetConnections {
  const t = { dbName: uniqueDbName(prefix) } as TargetConnections;
  beforeAll(async () => {
    t.running = await target.start();
    t.client = await MongoClient.connect(t.running.url);
    t.db = t.client.db(t.dbName);
    t.conn = await mongoose.createConnection(t.running.url + t.dbName).asPromise();
  });
  afterAll(async () => {
    // Optional chaining: a failed beforeAll leaves some of them unset.
    await t.db?.dropDatabase().catch(() => undefined);
    await t.conn?.close();
    await t.client?.close();
    await t.running?.stop();
  });
  return t;
}
