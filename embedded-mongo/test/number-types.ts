/**
 * Helpers of the number-type conformance suites: MongoDB's error code of a failed call, and
 * the BSON type of each number of a document read with `promoteValues: false`.
 */
import { MongoServerError, type Document } from 'mongodb';

/** The server error code a call failed with, or null when it succeeded. */
export async function codeOf(p: Promise<unknown>): Promise<number | null> {
  try {
    await p;
    return null;
  } catch (err) {
    if (err instanceof MongoServerError) return Number(err.code);
    throw err;
  }
}

/** `field → 'Int32:5' | 'Long:5' | 'Double:5'` for the numbers of a document read without promotion. */
export function typed(doc: Document | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc ?? {})) {
    const tag = (v as { _bsontype?: string } | null)?._bsontype;
    if (tag === 'Int32' || tag === 'Long' || tag === 'Double') out[k] = `${tag}:${String(v)}`;
  }
  return out;
}
