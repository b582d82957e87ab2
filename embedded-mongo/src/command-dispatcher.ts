/**
 * Routes a decoded command to its handler and shapes the reply.
 *
 * Generic fields drivers attach (lsid, txnNumber, $clusterTime, readConcern,
 * writeConcern, $readPreference, apiVersion, comment…) are ignored by handlers.
 * Options that would change an answer are never ignored: `collation` and `let`
 * are refused (NotImplemented), and `maxTimeMS` is honoured on reads. Writes run
 * to completion synchronously, so a write's limit cannot expire part way.
 * After a handler ran, if it appended journal records the reply is held until
 * they are fsynced.
 */
import type { Document } from 'bson';
import { catalogCommands } from './commands/catalog-commands.ts';
import type { CommandContext, CommandHandler } from './commands/context.ts';
import { explainCommand } from './commands/explain.ts';
import { findAndModify } from './commands/find-and-modify.ts';
import { handshakeCommands } from './commands/handshake.ts';
import { indexCommands } from './commands/index-commands.ts';
import { readCommands } from './commands/read-commands.ts';
import { writeCommands } from './commands/write-commands.ts';
import { checkDbName } from './catalog.ts';
import { ErrorCode, MongoCommandError, toMongoError } from './errors.ts';
import type { Journal } from './journal.ts';
import type { LogFn } from './types.ts';

const HANDLERS: Record<string, CommandHandler> = {
  ...handshakeCommands,
  ...catalogCommands,
  ...indexCommands,
  ...readCommands,
  ...writeCommands,
  findAndModify,
  findandmodify: findAndModify,
  explain: explainCommand,
};

/** Commands whose `maxTimeMS` is checked (reads: failing them after the fact changes nothing). */
const TIMED_READS = new Set(['find', 'aggregate', 'count', 'distinct', 'getMore']);

/** Refuses options the engine would otherwise silently ignore, on the command or any statement. */
function refuseUnsupported(command: Document): void {
  const statements = [
    command,
    ...(['updates', 'deletes'] as const).flatMap((f) => (Array.isArray(command[f]) ? command[f] : [])),
  ];
  for (const option of ['collation', 'let'] as const) {
    if (statements.some((st) => st !== null && typeof st === 'object' && (st as Document)[option] !== undefined))
      throw new MongoCommandError(ErrorCode.NotImplemented, `${option} is not supported by the embedded server`);
  }
}

function maxTimeOf(command: Document): number {
  const v = command.maxTimeMS as unknown;
  if (v === undefined) return 0;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new MongoCommandError(ErrorCode.BadValue, `maxTimeMS must be a non-negative integer, got ${String(v)}`);
  return n;
}

/** Names of all supported commands (for docs and tests). */
export const SUPPORTED_COMMANDS = Object.keys(HANDLERS).sort();

/** A reply plus, for writes, the durability promise to await before sending it. */
export interface DispatchResult {
  reply: Document;
  durable: Promise<void> | null;
}

export class Dispatcher {
  constructor(
    private readonly journal: Journal | null,
    private readonly log: LogFn,
    /** Commands slower than this are logged (mongod's slowms). */
    private readonly slowMs = Infinity,
  ) {}

  /** Executes `command` against database `db` (the request's `$db`). */
  run(command: Document, base: Omit<CommandContext, 'db'>, db: unknown): DispatchResult {
    const name = Object.keys(command)[0];
    const seqBefore = this.journal?.appendedSeq ?? 0;
    let reply: Document;
    const started = performance.now();
    try {
      if (name === undefined) throw new MongoCommandError(ErrorCode.FailedToParse, 'Empty command object');
      const handler = Object.hasOwn(HANDLERS, name) ? HANDLERS[name] : undefined;
      if (!handler) throw new MongoCommandError(ErrorCode.CommandNotFound, `no such command: '${name}'`);
      // Like a standalone mongod: no transactions (we would otherwise apply
      // the writes immediately and silently break all-or-nothing semantics).
      if (command.startTransaction !== undefined || command.autocommit !== undefined) {
        throw new MongoCommandError(
          ErrorCode.IllegalOperation,
          'Transaction numbers are only allowed on a replica set member or mongos',
        );
      }
      refuseUnsupported(command);
      const limit = TIMED_READS.has(name) ? maxTimeOf(command) : 0;
      const ctx: CommandContext = { ...base, db: checkDbName(db ?? 'admin') };
      reply = { ...handler(command, ctx), ok: 1 };
      if (limit && performance.now() - started > limit)
        throw new MongoCommandError(ErrorCode.MaxTimeMSExpired, 'operation exceeded time limit');
    } catch (err) {
      const mongoErr = toMongoError(err);
      if (mongoErr.code === ErrorCode.InternalError) {
        this.log('error', 'command failed unexpectedly', { command: name, error: (err as Error).stack ?? String(err) });
      }
      reply = mongoErr.toReply();
    }
    const ms = performance.now() - started;
    if (ms > this.slowMs) this.log('info', 'slow command', slowEntry(name, command, ms, reply));
    const seqAfter = this.journal?.appendedSeq ?? 0;
    const durable = this.journal && seqAfter > seqBefore ? this.journal.waitFor(seqAfter) : null;
    return { reply, durable };
  }
}

/** What mongod's slow query log says of a command: its name, namespace, duration and size. */
function slowEntry(name: string | undefined, command: Document, ms: number, reply: Document): Record<string, unknown> {
  const batch = (reply.cursor as { firstBatch?: unknown[]; nextBatch?: unknown[] } | undefined) ?? {};
  const returned = (batch.firstBatch ?? batch.nextBatch)?.length;
  const ops = (command.updates ?? command.deletes ?? command.documents) as unknown[] | undefined;
  return {
    command: name,
    ns: typeof command[name ?? ''] === 'string' ? command[name ?? ''] : command.collection,
    ms: Math.round(ms),
    ...(returned !== undefined ? { returned } : {}),
    ...(Array.isArray(ops) ? { ops: ops.length } : {}),
    ...(reply.ok === 1 ? {} : { code: reply.code }),
  };
}
