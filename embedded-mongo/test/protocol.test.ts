/**
 * Wire-protocol behaviour of the embedded server, with hand-built messages
 * on raw sockets: OP_MSG sections and flags, the legacy OP_QUERY handshake,
 * framing across TCP chunks, and robustness against malformed input.
 */
import { deserialize, serialize, type Document } from 'bson';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src/index.ts';

let server: EmbeddedMongo;
let requestId = 100;

beforeAll(async () => {
  server = await startEmbeddedMongo({ dataDir: ':memory:', log: () => undefined });
});
afterAll(async () => {
  await server.close();
});

function header(length: number, opCode: number, id: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(id, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** Builds an OP_MSG; `sequences` become kind-1 sections. */
function opMsg(
  body: Document,
  opts: { flags?: number; sequences?: Record<string, Document[]>; checksum?: boolean; id?: number } = {},
): { buf: Buffer; id: number } {
  const id = opts.id ?? requestId++;
  const parts: Buffer[] = [Buffer.from([0]), Buffer.from(serialize(body))];
  for (const [name, docs] of Object.entries(opts.sequences ?? {})) {
    const payload = Buffer.concat([Buffer.from(`${name}\0`), ...docs.map((d) => Buffer.from(serialize(d)))]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(payload.length + 4);
    parts.push(Buffer.from([1]), size, payload);
  }
  if (opts.checksum) parts.push(Buffer.alloc(4, 0xab));
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE((opts.flags ?? 0) | (opts.checksum ? 1 : 0));
  const rest = Buffer.concat([flags, ...parts]);
  return { buf: Buffer.concat([header(16 + rest.length, 2013, id), rest]), id };
}

function opQuery(collection: string, query: Document): { buf: Buffer; id: number } {
  const id = requestId++;
  const fixed = Buffer.alloc(4);
  const nums = Buffer.alloc(8);
  nums.writeInt32LE(-1, 4);
  const rest = Buffer.concat([fixed, Buffer.from(`${collection}\0`), nums, Buffer.from(serialize(query))]);
  return { buf: Buffer.concat([header(16 + rest.length, 2004, id), rest]), id };
}

/** A socket that hands out complete reply messages in order. */
class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<(m: Buffer) => void> = [];
  closed = false;
  constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      while (this.buf.length >= 4 && this.buf.length >= this.buf.readInt32LE(0) && this.waiters.length) {
        const len = this.buf.readInt32LE(0);
        const msg = this.buf.subarray(0, len);
        this.buf = this.buf.subarray(len);
        this.waiters.shift()!(msg);
      }
    });
    socket.on('close', () => (this.closed = true));
  }
  static async open(): Promise<RawClient> {
    const socket = connect(server.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    return new RawClient(socket);
  }
  next(timeoutMs = 2000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply')), timeoutMs);
      this.waiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.socket.emit('data', Buffer.alloc(0));
    });
  }
  async waitClosed(): Promise<void> {
    if (this.closed) return;
    await new Promise((r) => this.socket.once('close', r));
  }
}

function parseMsgReply(m: Buffer): { responseTo: number; opCode: number; doc: Document } {
  const opCode = m.readInt32LE(12);
  const doc = opCode === 2013 ? deserialize(m.subarray(21)) : deserialize(m.subarray(36));
  return { responseTo: m.readInt32LE(8), opCode, doc };
}

describe('wire protocol', () => {
  it('answers OP_MSG with kind-0 body and accepts kind-1 document sequences', async () => {
    const c = await RawClient.open();
    const ping = opMsg({ ping: 1, $db: 'admin' });
    c.socket.write(ping.buf);
    const reply = parseMsgReply(await c.next());
    expect(reply).toMatchObject({ responseTo: ping.id, opCode: 2013, doc: { ok: 1 } });
    const ins = opMsg({ insert: 'seq', $db: 'proto' }, { sequences: { documents: [{ _id: 1 }, { _id: 2 }] } });
    c.socket.write(ins.buf);
    expect(parseMsgReply(await c.next()).doc).toMatchObject({ ok: 1, n: 2 });
    c.socket.destroy();
  });

  it('sends no reply when moreToCome is set, and keeps order for the next request', async () => {
    const c = await RawClient.open();
    c.socket.write(
      opMsg(
        { insert: 'w0', $db: 'proto', writeConcern: { w: 0 } },
        { flags: 2, sequences: { documents: [{ _id: 'silent' }] } },
      ).buf,
    );
    const find = opMsg({ find: 'w0', filter: {}, $db: 'proto' });
    c.socket.write(find.buf);
    const reply = parseMsgReply(await c.next());
    expect(reply.responseTo).toBe(find.id);
    expect(reply.doc.cursor.firstBatch).toEqual([{ _id: 'silent' }]);
    c.socket.destroy();
  });

  it('skips the CRC-32C trailer when checksumPresent is set', async () => {
    const c = await RawClient.open();
    c.socket.write(opMsg({ ping: 1, $db: 'admin' }, { checksum: true }).buf);
    expect(parseMsgReply(await c.next()).doc.ok).toBe(1);
    c.socket.destroy();
  });

  it('answers a legacy OP_QUERY handshake with OP_REPLY', async () => {
    const c = await RawClient.open();
    const q = opQuery('admin.$cmd', {
      isMaster: 1,
      helloOk: true,
      client: { driver: { name: 'raw' } },
      compression: ['zlib'],
    });
    c.socket.write(q.buf);
    const m = await c.next();
    const reply = parseMsgReply(m);
    expect(reply.opCode).toBe(1);
    expect(reply.responseTo).toBe(q.id);
    expect(m.readInt32LE(32)).toBe(1); // numberReturned
    expect(reply.doc).toMatchObject({ ok: 1, ismaster: true, helloOk: true });
    expect(reply.doc.compression).toBeUndefined();
    const legacyFind = opQuery('proto.seq', { _id: 1 });
    c.socket.write(legacyFind.buf);
    const failure = await c.next();
    expect(failure.readInt32LE(16) & 2).toBe(2); // QueryFailure
    c.socket.destroy();
  });

  it('reassembles messages split across TCP chunks and batched in one write', async () => {
    const c = await RawClient.open();
    const a = opMsg({ ping: 1, $db: 'admin' });
    const b = opMsg({ hello: 1, $db: 'admin' });
    const both = Buffer.concat([a.buf, b.buf]);
    for (let i = 0; i < both.length; i += 7) {
      c.socket.write(both.subarray(i, i + 7));
      await new Promise((r) => setImmediate(r));
    }
    expect(parseMsgReply(await c.next()).responseTo).toBe(a.id);
    expect(parseMsgReply(await c.next()).doc.isWritablePrimary).toBe(true);
    c.socket.destroy();
  });

  it('replies InvalidBSON to a corrupt body and keeps the connection', async () => {
    const c = await RawClient.open();
    const good = opMsg({ ping: 1, $db: 'admin', pad: 'xxxxxxxx' });
    const corrupt = Buffer.from(good.buf);
    corrupt[corrupt.length - 5] = 0x7f; // invalid BSON element type inside the string's slot
    corrupt.writeInt32LE(0x0a, 21 + 4 + 1 + 5 + 4); // break an inner length
    c.socket.write(corrupt);
    const reply = parseMsgReply(await c.next());
    expect(reply.doc.ok).toBe(0);
    expect(reply.doc.code).toBe(22);
    c.socket.write(opMsg({ ping: 1, $db: 'admin' }).buf);
    expect(parseMsgReply(await c.next()).doc.ok).toBe(1);
    c.socket.destroy();
  });

  it.each([
    [
      'an impossible length',
      (() => {
        const b = Buffer.alloc(16);
        b.writeInt32LE(8, 0);
        return b;
      })(),
    ],
    [
      'an oversized length',
      (() => {
        const b = Buffer.alloc(16);
        b.writeInt32LE(64_000_000, 0);
        return b;
      })(),
    ],
    ['an unknown opcode', Buffer.concat([header(21, 9999, 1), Buffer.alloc(5)])],
    ['OP_COMPRESSED', Buffer.concat([header(25, 2012, 1), Buffer.alloc(9)])],
    [
      'an unknown section kind',
      (() => {
        const m = opMsg({ ping: 1, $db: 'admin' }).buf;
        m[20] = 7;
        return m;
      })(),
    ],
  ])('closes only the offending connection on %s', async (_name, bytes) => {
    const bad = await RawClient.open();
    bad.socket.write(bytes);
    await bad.waitClosed();
    const good = await RawClient.open();
    good.socket.write(opMsg({ ping: 1, $db: 'admin' }).buf);
    expect(parseMsgReply(await good.next()).doc.ok).toBe(1);
    good.socket.destroy();
  });

  it('rejects invalid database names and empty commands with error replies', async () => {
    const c = await RawClient.open();
    c.socket.write(opMsg({ ping: 1, $db: 'bad.name' }).buf);
    expect(parseMsgReply(await c.next()).doc).toMatchObject({ ok: 0, code: 73 });
    c.socket.write(opMsg({}).buf);
    expect(parseMsgReply(await c.next()).doc.ok).toBe(0);
    c.socket.destroy();
  });
});
