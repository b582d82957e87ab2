/**
 * The embedded server on its own thread (`startEmbeddedMongoInWorker`, what the hub runs): it
 * serves the driver as on the caller's thread, forwards its log lines, keeps its data directory,
 * reports start-up failures with their code, leaves the caller's event loop free while it works,
 * and reports a thread that dies (here: out of memory) to `onExit`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongoInWorker, type LogLevel } from '../src/index.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const connect = (url: string): Promise<MongoClient> =>
  MongoClient.connect(`${url}t`, { directConnection: true, serverSelectionTimeoutMS: 5_000 });

describe('embedded server on its own thread', () => {
  it('serves the driver, forwards its log, and keeps its data directory across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-mongo-worker-'));
    dirs.push(dir);
    const lines: { level: LogLevel; msg: string }[] = [];
    const log = (level: LogLevel, msg: string) => lines.push({ level, msg });

    const first = await startEmbeddedMongoInWorker({ dataDir: dir, log });
    const client = await connect(first.url);
    await client
      .db()
      .collection('c')
      .insertMany([
        { _id: 1 as never, v: 'a' },
        { _id: 2 as never, v: 'b' },
      ]);
    await client.close();
    await first.close();
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['embedded mongo listening', 'embedded mongo stopped']),
    );

    const second = await startEmbeddedMongoInWorker({ dataDir: dir, log });
    const again = await connect(second.url);
    expect(await again.db().collection('c').find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, v: 'a' },
      { _id: 2, v: 'b' },
    ]);
    await again.close();
    await second.close();
    await second.close(); // closing twice is harmless
  });

  it('rejects with the cause when it cannot start', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    await expect(startEmbeddedMongoInWorker({ port, dataDir: ':memory:', log: () => {} })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    taken.close();
  });

  it("leaves the caller's event loop free while a long command runs", async () => {
    const db = await startEmbeddedMongoInWorker({ dataDir: ':memory:', log: () => {} });
    const client = await connect(db.url);
    const coll = client.db().collection('big');
    for (let b = 0; b < 20; b++) {
      await coll.insertMany(Array.from({ length: 5_000 }, (_, i) => ({ k: (b * 5_000 + i) % 997, s: `v${i}` })));
    }
    // One command that keeps the database busy for a while: group and sort 100,000 documents.
    // Its answer is one small document, so the time is the database's, not this thread's decoding.
    const pipeline = [
      { $group: { _id: { k: '$k', s: '$s' }, n: { $sum: 1 } } },
      { $sort: { n: -1, _id: 1 } },
      { $group: { _id: null, groups: { $sum: 1 } } },
    ];
    let last = performance.now();
    let maxGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const started = performance.now();
    await coll.aggregate(pipeline, { allowDiskUse: true }).toArray();
    const took = performance.now() - started;
    clearInterval(timer);
    await client.close();
    await db.close();
    // On the caller's thread the command would hold the loop for all of `took`.
    expect(took).toBeGreaterThan(200);
    expect(ticks).toBeGreaterThan(5);
    expect(maxGap).toBeLessThan(took / 2);
  });

  it('reports a thread that runs out of memory to onExit, and then refuses connections', async () => {
    let exited: Error | null = null;
    const db = await startEmbeddedMongoInWorker({
      dataDir: ':memory:',
      log: () => {},
      resourceLimits: { maxOldGenerationSizeMb: 48 },
      onExit: (err) => (exited = err),
    });
    const client = await connect(db.url);
    const coll = client.db().collection('fill');
    const blob = 'x'.repeat(1 << 20);
    await expect(
      (async () => {
        for (let i = 0; i < 500; i++) await coll.insertOne({ i, blob });
      })(),
    ).rejects.toThrow();
    await client.close();
    await expect.poll(() => exited, { timeout: 10_000 }).not.toBeNull();
    expect(exited!.message).toMatch(/memory|exited/i);
    await expect(connect(db.url)).rejects.toThrow();
    await db.close(); // a dead thread closes at once
  });
});
