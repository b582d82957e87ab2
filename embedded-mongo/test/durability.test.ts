/**
 * Durability of the embedded server (embedded only – real mongod has its own):
 * acknowledged writes survive kill -9, a torn journal tail is detected,
 * reported and truncated, compaction into a snapshot preserves state, and a
 * data directory cannot be opened twice.
 */
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo, type LogFn } from '../src/index.ts';
import { encodeRecord } from '../src/journal-format.ts';
import { crash, startCli } from './cli-process.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'embedded-mongo-dur-'));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const connect = (url: string): Promise<MongoClient> =>
  MongoClient.connect(url, { retryWrites: false, serverSelectionTimeoutMS: 5000 });

function journalFile(dir: string): string {
  const name = readdirSync(dir)
    .filter((f) => /^journal-\d+\.bson$/.test(f))
    .sort()
    .pop();
  if (!name) throw new Error(`no journal in ${dir}`);
  return join(dir, name);
}

describe('durability (CLI child process)', () => {
  it('every acknowledged write survives kill -9 between writes', async () => {
    const dir = tempDir();
    let server = await startCli(dir);
    let client = await connect(server.url);
    const coll = client.db('dur').collection('docs');
    await coll.createIndex({ seq: 1 }, { unique: true });
    const killAt = 40 + Math.floor(Math.random() * 20);
    let acknowledged = 0;
    for (let i = 0; i < killAt; i++) {
      if (i % 3 === 0) await coll.insertMany([{ seq: i, part: 0 }]);
      else await coll.insertOne({ seq: i, payload: 'x'.repeat(i) });
      acknowledged++;
    }
    await coll.updateOne({ seq: 1 }, { $set: { updated: true } });
    await coll.deleteOne({ seq: 2 });
    acknowledged--;
    await crash(server);
    await client.close(true);

    server = await startCli(dir);
    client = await connect(server.url);
    const after = client.db('dur').collection('docs');
    expect(await after.countDocuments()).toBe(acknowledged);
    expect((await after.findOne({ seq: 1 }))?.updated).toBe(true);
    expect(await after.findOne({ seq: 2 })).toBeNull();
    // The unique index came back too.
    await expect(after.insertOne({ seq: 0 })).rejects.toMatchObject({ code: 11000 });
    await crash(server);
    await client.close(true);
  });

  it('concurrent writers: nothing acknowledged is lost when killed mid-flight', async () => {
    const dir = tempDir();
    let server = await startCli(dir);
    let client = await connect(server.url);
    const coll = client.db('dur').collection('concurrent');
    const acked = new Set<string>();
    let attempted = 0;
    let stop = false;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const _id = `${w}-${i}`;
        attempted++;
        try {
          await coll.insertOne({ _id: _id as never, w, i });
          acked.add(_id);
        } catch {
          return;
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (acked.size < 150) await new Promise((r) => setTimeout(r, 5));
    server.proc.kill('SIGKILL');
    await server.exited;
    stop = true;
    await Promise.all(writers);
    await client.close(true);

    server = await startCli(dir);
    client = await connect(server.url);
    const ids = new Set(
      (
        await client
          .db('dur')
          .collection('concurrent')
          .find({}, { projection: { _id: 1 } })
          .toArray()
      ).map((d) => String(d._id)),
    );
    for (const id of acked) expect(ids.has(id), id).toBe(true);
    expect(ids.size).toBeLessThanOrEqual(attempted);
    await crash(server);
    await client.close(true);
  });

  it('a torn or corrupt last record is reported, truncated, and every complete record kept', async () => {
    const dir = tempDir();
    let server = await startCli(dir);
    let client = await connect(server.url);
    await client
      .db('dur')
      .collection('torn')
      .insertMany(Array.from({ length: 20 }, (_, i) => ({ i })));
    await crash(server);
    await client.close(true);

    const file = journalFile(dir);
    const completeSize = statSync(file).size;
    // Half of a well-formed record (a crash mid-append) followed by garbage.
    const record = encodeRecord({ op: 'ins', db: 'dur', coll: 'torn', doc: { _id: 'ghost', i: 99 } });
    appendFileSync(file, record.subarray(0, record.length - 7));
    appendFileSync(file, Buffer.from('garbage-bytes'));

    server = await startCli(dir);
    expect(server.stderr()).toMatch(/torn or corrupt record/);
    expect(statSync(file).size).toBe(completeSize);
    expect(readdirSync(dir).some((f) => f.includes('.discarded-'))).toBe(true);
    client = await connect(server.url);
    const torn = client.db('dur').collection('torn');
    expect(await torn.countDocuments()).toBe(20);
    expect(await torn.findOne({ _id: 'ghost' as never })).toBeNull();
    await torn.insertOne({ i: 20 });
    await client.close();

    // A clean shutdown (SIGTERM) flushes; the next start sees a clean journal.
    server.proc.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    server = await startCli(dir);
    expect(server.stderr()).not.toMatch(/torn or corrupt/);
    client = await connect(server.url);
    expect(await client.db('dur').collection('torn').countDocuments()).toBe(21);
    await crash(server);
    await client.close(true);
  });
});

describe('durability (in process)', () => {
  it('compacts the journal into a snapshot and recovers the same state', async () => {
    const dir = tempDir();
    const logs: string[] = [];
    const log: LogFn = (level, msg) => logs.push(`${level}:${msg}`);
    let server = await startEmbeddedMongo({ dataDir: dir, compactThresholdBytes: 8 * 1024, log });
    let client = await connect(server.url);
    const c = client.db('snap').collection('c');
    await c.createIndex({ k: 1 }, { unique: true });
    for (let round = 0; round < 5; round++) {
      await c.insertMany(Array.from({ length: 40 }, (_, i) => ({ k: round * 100 + i, text: 'y'.repeat(50) })));
      await c.updateMany({ k: { $lt: round * 100 + 10 } }, { $inc: { touched: 1 } });
      await c.deleteMany({ k: round * 100 + 39 });
    }
    await client.db('snap').collection('gone').insertOne({ a: 1 });
    await client.db('snap').collection('gone').drop();
    const before = await c.find().sort({ k: 1 }).toArray();
    await client.close();
    await server.close();
    expect(logs.some((l) => l.includes('compacted'))).toBe(true);
    expect(existsSync(join(dir, 'snapshot.bson'))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('journal-'))).toHaveLength(1);

    server = await startEmbeddedMongo({ dataDir: dir, log });
    client = await connect(server.url);
    const after = client.db('snap').collection('c');
    expect(await after.find().sort({ k: 1 }).toArray()).toEqual(before);
    expect((await client.db('snap').listCollections().toArray()).map((x) => x.name)).toEqual(['c']);
    await expect(after.insertOne({ k: 0 })).rejects.toMatchObject({ code: 11000 });
    await client.close();
    await server.close();
  });

  it('refuses to open a data directory twice; :memory: writes nothing', async () => {
    const dir = tempDir();
    const first = await startEmbeddedMongo({ dataDir: dir, log: () => undefined });
    await expect(startEmbeddedMongo({ dataDir: dir, log: () => undefined })).rejects.toThrow(/already used|locked/);
    await first.close();
    const again = await startEmbeddedMongo({ dataDir: dir, log: () => undefined });
    await again.close();
    const mem = await startEmbeddedMongo({ dataDir: ':memory:', log: () => undefined });
    const client = await connect(mem.url);
    await client.db('m').collection('c').insertOne({ a: 1 });
    await client.close();
    await mem.close();
    expect(existsSync(':memory:')).toBe(false);
    expect(readFileSync(journalFile(dir)).length).toBe(0);
  });
});
