/**
 * Behaviour that needs the embedded server's knobs (a real mongod sweeps TTL
 * every 60 s and times cursors out after 10 min), the CLI's argument
 * handling, and evidence for each mingo difference we override: if a future
 * mingo fixes one, the "raw mingo" assertion fails and the override can go.
 */
import { Aggregator, Query, update } from 'mingo';
import { MongoClient, ObjectId } from 'mongodb';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo, SUPPORTED_COMMANDS, type EmbeddedMongo } from '../src/index.ts';
import { parseArgs, UsageError } from '../src/cli.ts';
import { tryFastUpdate } from '../src/fast-update.ts';
import { compileFilter, runPipeline } from '../src/mingo-engine.ts';
import { spawnCli } from './cli-process.ts';
import { uniqueDbName } from './targets.ts';

describe('TTL indexes and cursor timeouts', () => {
  let server: EmbeddedMongo;
  let client: MongoClient;

  beforeAll(async () => {
    server = await startEmbeddedMongo({
      dataDir: ':memory:',
      ttlIntervalMs: 50,
      cursorTimeoutMs: 200,
      log: () => undefined,
    });
    client = await MongoClient.connect(server.url);
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('the TTL monitor deletes expired documents (earliest date of an array)', async () => {
    const c = client.db(uniqueDbName('ttl')).collection('sessions');
    await c.createIndex({ seenAt: 1 }, { expireAfterSeconds: 60 });
    const old = new Date(Date.now() - 120_000);
    await c.insertMany([
      { k: 'old', seenAt: old },
      { k: 'fresh', seenAt: new Date() },
      { k: 'mixed', seenAt: [new Date(), old] },
      { k: 'no-date', seenAt: 'x' },
      { k: 'missing' },
    ]);
    await new Promise((r) => setTimeout(r, 250));
    expect((await c.find().sort({ k: 1 }).toArray()).map((d) => d.k)).toEqual(['fresh', 'missing', 'no-date']);
  });

  it('works with mongoose `expires`', async () => {
    const conn = await mongoose.createConnection(server.url + uniqueDbName('ttlm')).asPromise();
    const Token = conn.model('Token', new mongoose.Schema({ value: String, createdAt: { type: Date, expires: 1 } }));
    await Token.init();
    await Token.create({ value: 'a', createdAt: new Date(Date.now() - 5000) });
    await Token.create({ value: 'b', createdAt: new Date() });
    await new Promise((r) => setTimeout(r, 250));
    expect((await Token.find().lean()).map((t) => t.value)).toEqual(['b']);
    await conn.close();
  });

  it('idle cursors time out with CursorNotFound (43); noCursorTimeout cursors survive', async () => {
    const db = client.db(uniqueDbName('cur'));
    await db.collection('c').insertMany(Array.from({ length: 10 }, (_, i) => ({ i })));
    const idle = await db.command({ find: 'c', batchSize: 2 });
    const pinned = await db.command({ find: 'c', batchSize: 2, noCursorTimeout: true });
    await new Promise((r) => setTimeout(r, 450));
    await expect(db.command({ getMore: idle.cursor.id, collection: 'c' })).rejects.toMatchObject({
      code: 43,
      codeName: 'CursorNotFound',
    });
    const rest = await db.command({ getMore: pinned.cursor.id, collection: 'c' });
    expect(rest.cursor.nextBatch).toHaveLength(8);
    const active = db.collection('c').find({}, { batchSize: 3 });
    expect(await active.next()).toMatchObject({ i: 0 });
    expect(await active.toArray()).toHaveLength(9);
  });

  it('getMore on another namespace is refused', async () => {
    const db = client.db(uniqueDbName('ns'));
    await db.collection('a').insertMany([{ x: 1 }, { x: 2 }, { x: 3 }]);
    const res = await db.command({ find: 'a', batchSize: 1 });
    await expect(db.command({ getMore: res.cursor.id, collection: 'b' })).rejects.toMatchObject({ code: 13 });
  });

  it('its url works for mongoose with a database name and with directConnection=true', async () => {
    expect(server.url).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
    for (const suffix of ['activityhub', 'activityhub?directConnection=true']) {
      const conn = await mongoose.createConnection(server.url + suffix).asPromise();
      expect(conn.db?.databaseName).toBe('activityhub');
      expect((await conn.db!.admin().ping()).ok).toBe(1);
      await conn.close();
    }
  });

  it('exports the list of supported commands', () => {
    for (const name of [
      'hello',
      'find',
      'getMore',
      'aggregate',
      'findAndModify',
      'createIndexes',
      'explain',
      'endSessions',
    ]) {
      expect(SUPPORTED_COMMANDS).toContain(name);
    }
  });
});

describe('mingo differences we override (raw mingo vs our engine)', () => {
  const d = new Date('2024-03-11T01:30:00Z'); // 2024-03-10 21:30 in New York

  it('$push with $sort and $slice on a missing field sorts and slices (numbers, the fast path)', () => {
    const push = { $push: { s: { $each: [3, 1, 2], $sort: 1, $slice: -2 } } };
    const raw: Record<string, unknown> = {};
    update(raw, push, [], {}, { cloneMode: 'copy' });
    expect(raw.s).toEqual([3, 1, 2]);
    const ours: Record<string, unknown> = {};
    expect(tryFastUpdate(ours, push)).toBe(true);
    expect(ours.s).toEqual([2, 3]);
  });

  it('$dateTrunc with a timezone', () => {
    const pipeline = [
      { $project: { _id: 0, t: { $dateTrunc: { date: '$d', unit: 'day', timezone: 'America/New_York' } } } },
    ];
    expect(new Aggregator(pipeline, {}).run([{ d }])[0]!.t).not.toEqual(new Date('2024-03-10T05:00:00Z'));
    expect(runPipeline([{ d }], pipeline)[0]!.t).toEqual(new Date('2024-03-10T05:00:00Z'));
  });

  it('$dateToString %U and $isoWeekYear', () => {
    const pipeline = [
      {
        $project: {
          _id: 0,
          u: { $dateToString: { date: '$d', format: '%U', timezone: 'America/New_York' } },
          y: { $isoWeekYear: new Date('2021-01-01T05:00:00Z') },
        },
      },
    ];
    const raw = new Aggregator(pipeline, {}).run([{ d }])[0]!;
    expect([raw.u, raw.y]).not.toEqual(['10', 2020]);
    expect(runPipeline([{ d }], pipeline)[0]).toEqual({ u: '10', y: 2020 });
  });

  it('$type "objectId" (query) and $type names (expression)', () => {
    const doc = { _id: new ObjectId() };
    expect(new Query({ _id: { $type: 'objectId' } }, {}).test(doc)).toBe(false);
    expect(compileFilter({ _id: { $type: 'objectId' } })(doc)).toBe(true);
    const pipeline = [{ $project: { t: { $type: '$_id' } } }];
    expect(new Aggregator(pipeline, {}).run([doc])[0]!.t).toBe('objectid');
    expect(runPipeline([doc], pipeline)[0]!.t).toBe('objectId');
  });

  it('$setOnInsert is unknown to mingo (handled by update-apply)', () => {
    expect(() => update({ a: 1 }, { $setOnInsert: { b: 1 } } as never)).toThrow(/\$setOnInsert/);
  });

  it('ObjectIds already compare by value in mingo (no override needed)', () => {
    const id = new ObjectId();
    expect(new Query({ _id: new ObjectId(id.toHexString()) }, {}).test({ _id: id })).toBe(true);
  });
});

describe('the slow command log (mongod slowms)', () => {
  it('logs each command slower than slowMs with its name, namespace, duration and size', async () => {
    const logged: Record<string, unknown>[] = [];
    const server = await startEmbeddedMongo({
      dataDir: ':memory:',
      slowMs: 0.001,
      log: (level, msg, extra) => void (msg === 'slow command' && logged.push({ level, ...extra })),
    });
    const client = await MongoClient.connect(server.url);
    try {
      const c = client.db(uniqueDbName('slow')).collection('things');
      await c.insertMany(Array.from({ length: 300 }, (_, i) => ({ i })));
      await c.find({ i: { $gte: 100 } }, { batchSize: 50 }).toArray();
      expect(logged).toContainEqual(
        expect.objectContaining({ level: 'info', command: 'insert', ns: 'things', ops: 300 }),
      );
      expect(logged).toContainEqual(expect.objectContaining({ command: 'find', ns: 'things', returned: 50 }));
      expect(logged).toContainEqual(expect.objectContaining({ command: 'getMore', ns: 'things', returned: 50 }));
      for (const entry of logged) expect(entry.ms).toEqual(expect.any(Number));
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('stays quiet for commands under the default 100 ms', async () => {
    const logged: string[] = [];
    const server = await startEmbeddedMongo({ dataDir: ':memory:', log: (_l, msg) => void logged.push(msg) });
    const client = await MongoClient.connect(server.url);
    try {
      await client.db('admin').command({ ping: 1 });
      expect(logged).not.toContain('slow command');
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('CLI argument validation', () => {
  it.each([
    [['--port', 'abc', '--data-dir', ':memory:'], /--port expects an integer/],
    [['--port', '70000', '--data-dir', ':memory:'], /between 0 and 65535/],
    [['--port', '0'], /--data-dir is required/],
    [['--data-dir', ':memory:', '--bogus', '1'], /unknown option '--bogus'/],
    [['--data-dir'], /--data-dir requires a value/],
    [['--data-dir', ':memory:', '--slow-ms', '0'], /--slow-ms must be between 1/],
  ])('rejects %j', (args, message) => {
    expect(() => parseArgs(args)).toThrow(UsageError);
    expect(() => parseArgs(args)).toThrow(message);
  });

  it('accepts --flag value and --flag=value forms', () => {
    expect(
      parseArgs(['--data-dir=/tmp/x', '--port', '27017', '--ttl-interval-ms=1000', '--slow-ms=250']),
    ).toMatchObject({
      dataDir: '/tmp/x',
      port: 27017,
      ttlIntervalMs: 1000,
      slowMs: 250,
    });
    expect(parseArgs(['--help'])).toBe('help');
  });

  it('the executable exits 2 with the message and usage on bad input', async () => {
    const child = spawnCli(['--port', 'abc', '--data-dir', ':memory:']);
    const { code } = await child.exited;
    expect(code).toBe(2);
    expect(child.stderr()).toMatch(/--port expects an integer/);
    expect(child.stderr()).toMatch(/Usage: embedded-mongo/);
  });
});
