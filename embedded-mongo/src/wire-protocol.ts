/**
 * MongoDB wire protocol framing (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/).
 *
 * Requests: OP_MSG (2013) with a kind-0 body and kind-1 document sequences,
 * and OP_QUERY (2004), which drivers still use for the first handshake.
 * Replies: OP_MSG, or OP_REPLY (1) to an OP_QUERY. We never advertise
 * compression, so OP_COMPRESSED (2012) is rejected.
 */
import { deserialize, serialize, type Document } from 'bson';
import { normalizeDecoded } from './numbers.ts';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

/** Largest message we accept (same as mongod's maxMessageSizeBytes). */
export const MAX_MESSAGE_BYTES = 48_000_000;

const FLAG_CHECKSUM_PRESENT = 1 << 0;
const FLAG_MORE_TO_COME = 1 << 1;
const KNOWN_FLAGS = FLAG_CHECKSUM_PRESENT | FLAG_MORE_TO_COME | (1 << 16);

/** Numbers are decoded with their types, then normalised per field (see {@link normalizeCommand}). */
const READ_BSON = { promoteLongs: false, promoteValues: false, promoteBuffers: false } as const;
const WRITE_BSON = { ignoreUndefined: true, checkKeys: false } as const;

/** A message the framing layer could not make sense of. */
export class ProtocolError extends Error {}

/** A decoded request. */
export type WireRequest =
  | { kind: 'msg'; requestId: number; command: Document; moreToCome: boolean }
  | { kind: 'query'; requestId: number; collection: string; command: Document };

function readCString(buf: Buffer, pos: number): [string, number] {
  const end = buf.indexOf(0, pos);
  if (end < 0) throw new ProtocolError('unterminated cstring');
  return [buf.toString('utf8', pos, end), end + 1];
}

function readDocument(buf: Buffer, pos: number, limit: number): [Document, number] {
  if (pos + 5 > limit) throw new ProtocolError('document exceeds message bounds');
  const size = buf.readInt32LE(pos);
  if (size < 5 || pos + size > limit) throw new ProtocolError(`invalid BSON document size ${size}`);
  return [deserialize(buf.subarray(pos, pos + size), READ_BSON), pos + size];
}

/** Parses one complete message (header included). Throws ProtocolError or BSONError. */
export function parseMessage(buf: Buffer): WireRequest {
  const requestId = buf.readInt32LE(4);
  const opCode = buf.readInt32LE(12);
  if (opCode === OP_MSG) return parseOpMsg(buf, requestId);
  if (opCode === OP_QUERY) return parseOpQuery(buf, requestId);
  if (opCode === OP_COMPRESSED) throw new ProtocolError('OP_COMPRESSED is not supported: no compressor was negotiated');
  throw new ProtocolError(`unsupported opCode ${opCode}`);
}

function parseOpMsg(buf: Buffer, requestId: number): WireRequest {
  const flags = buf.readUInt32LE(16);
  // Unknown bits in the low 16 are "required" flags: the spec says to error.
  if ((flags & 0xffff & ~KNOWN_FLAGS) !== 0)
    throw new ProtocolError(`unsupported OP_MSG flagBits 0x${flags.toString(16)}`);
  // The CRC-32C trailer is optional integrity data; we skip it rather than verify.
  const end = flags & FLAG_CHECKSUM_PRESENT ? buf.length - 4 : buf.length;
  let pos = 20;
  let body: Document | null = null;
  const sequences: Array<[string, Document[]]> = [];
  while (pos < end) {
    const kind = buf[pos++];
    if (kind === 0) {
      if (body) throw new ProtocolError('OP_MSG contains more than one body section');
      [body, pos] = readDocument(buf, pos, end);
    } else if (kind === 1) {
      const size = buf.readInt32LE(pos);
      const seqEnd = pos + size;
      if (size < 5 || seqEnd > end) throw new ProtocolError('invalid document sequence size');
      const [identifier, start] = readCString(buf, pos + 4);
      let p = start;
      const docs: Document[] = [];
      while (p < seqEnd) {
        let doc: Document;
        [doc, p] = readDocument(buf, p, seqEnd);
        docs.push(doc);
      }
      sequences.push([identifier, docs]);
      pos = seqEnd;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${String(kind)}`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG without a body section');
  for (const [identifier, docs] of sequences) body[identifier] = docs;
  return { kind: 'msg', requestId, command: normalizeCommand(body), moreToCome: (flags & FLAG_MORE_TO_COME) !== 0 };
}

function parseOpQuery(buf: Buffer, requestId: number): WireRequest {
  const [collection, pos] = readCString(buf, 20);
  const [query] = readDocument(buf, pos + 8, buf.length);
  // Legacy command form may wrap the command as {$query: {...}, $readPreference}.
  const command = query.$query && typeof query.$query === 'object' ? (query.$query as Document) : query;
  return { kind: 'query', requestId, collection, command: normalizeCommand(command) };
}

/** Fields carrying documents to store, per command: there numbers keep their BSON type. */
const STORED_FIELDS: Record<string, string[]> = {
  insert: ['documents'],
  update: ['updates'],
  findAndModify: ['query', 'update'],
  findandmodify: ['query', 'update'],
  // Literals of a pipeline are checked (typed-policy.ts), so they keep their type too.
  aggregate: ['pipeline'],
};

/**
 * Numbers of stored documents keep their types (numbers.ts); every other field reads as the
 * driver-style promoting decoder gave it, so command arguments and filters are JS numbers.
 */
function normalizeCommand(cmd: Document): Document {
  const stored = STORED_FIELDS[Object.keys(cmd)[0] ?? ''] ?? [];
  for (const key of Object.keys(cmd)) cmd[key] = normalizeDecoded(cmd[key], stored.includes(key));
  return cmd;
}

let nextRequestId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.allocUnsafe(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** Encodes an OP_MSG reply with a single kind-0 section. */
export function encodeOpMsg(responseTo: number, reply: Document): Buffer {
  const body = serialize(reply, WRITE_BSON);
  const flags = Buffer.alloc(5); // flagBits = 0, then section kind 0
  return Buffer.concat([header(16 + 5 + body.length, responseTo, OP_MSG), flags, body]);
}

/** Encodes an OP_REPLY carrying one document (responseFlags 2 = QueryFailure). */
export function encodeOpReply(responseTo: number, doc: Document, responseFlags = 0): Buffer {
  const body = serialize(doc, WRITE_BSON);
  const fixed = Buffer.alloc(20);
  fixed.writeInt32LE(responseFlags, 0);
  // cursorID (int64) = 0, startingFrom = 0
  fixed.writeInt32LE(1, 16); // numberReturned
  return Buffer.concat([header(16 + 20 + body.length, responseTo, OP_REPLY), fixed, body]);
}
