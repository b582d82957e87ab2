/**
 * On-disk record framing shared by the journal and the snapshot:
 *
 *   uint32 LE  payload length
 *   uint32 LE  CRC-32 of the payload (zlib.crc32)
 *   payload    one BSON document (a logical operation)
 *
 * The CRC detects torn writes (a crash mid-append) and bit rot; a reader
 * stops at the first record that is incomplete or fails its checksum.
 */
import { deserialize, serialize, type Document } from 'bson';
import { crc32 } from 'node:zlib';
import { normalizeDecoded } from './numbers.ts';

const HEADER_BYTES = 8;
/** Larger than any record we write (16 MiB documents plus envelope). */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** BSON options for stored data: numbers keep their types until {@link normalizeRecord}. */
export const STORAGE_BSON = { promoteLongs: false, promoteValues: false, promoteBuffers: false } as const;

/** A record's document (and `_id`) keep their number types; its other fields read as JS numbers. */
function normalizeRecord(record: Document): Document {
  for (const key of Object.keys(record)) record[key] = normalizeDecoded(record[key], key === 'doc' || key === 'id');
  return record;
}

/** Frames one record. */
export function encodeRecord(record: Document): Buffer {
  const payload = serialize(record, { ignoreUndefined: true, checkKeys: false });
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Outcome of scanning a file of records. */
export interface ScanResult {
  records: Document[];
  /** Bytes covered by complete, valid records. */
  validBytes: number;
  /** Why scanning stopped early, if it did. */
  problem?: string;
}

/** Reads every complete record; stops (without throwing) at the first bad one. */
export function scanRecords(buf: Buffer): ScanResult {
  const records: Document[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < HEADER_BYTES)
      return { records, validBytes: pos, problem: `truncated record header at offset ${pos}` };
    const len = buf.readUInt32LE(pos);
    if (len < 5 || len > MAX_RECORD_BYTES)
      return { records, validBytes: pos, problem: `invalid record length ${len} at offset ${pos}` };
    if (buf.length - pos - HEADER_BYTES < len)
      return { records, validBytes: pos, problem: `truncated record at offset ${pos}` };
    const payload = buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + len);
    if (crc32(payload) !== buf.readUInt32LE(pos + 4))
      return { records, validBytes: pos, problem: `checksum mismatch at offset ${pos}` };
    try {
      records.push(normalizeRecord(deserialize(payload, STORAGE_BSON)));
    } catch (err) {
      return { records, validBytes: pos, problem: `undecodable record at offset ${pos}: ${(err as Error).message}` };
    }
    pos += HEADER_BYTES + len;
  }
  return { records, validBytes: pos };
}
