/**
 * What command handlers receive, and small argument helpers shared by them.
 * Handlers are synchronous: they read or mutate the in-memory catalog and
 * return the reply; durability waits happen in the dispatcher.
 */
import type { Document } from 'bson';
import { Long } from 'bson';
import { checkCollName, type Catalog } from '../catalog.ts';
import type { CursorManager } from '../cursor-manager.ts';
import { ErrorCode, fail } from '../errors.ts';

/** Process-wide facts some commands report. */
export interface ServerInfo {
  host: string;
  port: number;
  startedAt: Date;
  version: string;
  dataDir: string;
  /** Open client connections (serverStatus). */
  connectionCount: () => number;
}

/** Everything a handler may use. */
export interface CommandContext {
  /** The `$db` of the request. */
  db: string;
  catalog: Catalog;
  cursors: CursorManager;
  connectionId: number;
  /** Remote address of the client, for whatsmyuri. */
  peer: string;
  server: ServerInfo;
}

/** A command implementation; throws MongoCommandError for `{ok: 0}` replies. */
export type CommandHandler = (cmd: Document, ctx: CommandContext) => Document;

/** The collection name argument of `cmd[field]`, validated. */
export function collectionArg(cmd: Document, field: string, db: string): string {
  const name = cmd[field];
  if (typeof name !== 'string') {
    fail(ErrorCode.InvalidNamespace, `collection name has invalid type ${name === null ? 'null' : typeof name}`);
  }
  return checkCollName(db, name);
}

/** An optional non-negative integer argument (numbers or Longs). */
export function intArg(cmd: Document, field: string): number | undefined {
  const v = cmd[field];
  if (v === undefined || v === null) return undefined;
  const n = v instanceof Long ? v.toNumber() : typeof v === 'number' ? v : NaN;
  if (!Number.isFinite(n)) fail(ErrorCode.TypeMismatch, `Field '${field}' should be a number, found ${typeof v}`);
  return Math.trunc(n);
}

/** A cursor id argument (drivers send Long; tolerate numbers). */
export function cursorIdArg(v: unknown, field: string): Long {
  if (v instanceof Long) return v;
  if (typeof v === 'number' && Number.isInteger(v)) return Long.fromNumber(v);
  return fail(ErrorCode.TypeMismatch, `Field '${field}' must be of type long`);
}

/** Reply shape shared by find/aggregate/listCollections/listIndexes/getMore. */
export function cursorReply(id: Long, ns: string, batch: Document[], first: boolean): Document {
  return { cursor: first ? { firstBatch: batch, id, ns } : { nextBatch: batch, id, ns } };
}
