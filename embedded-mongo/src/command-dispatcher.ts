/**
 * Routes a decoded command to its handler and shapes the reply.
 *
 * Generic fields drivers attach (lsid, txnNumber, $clusterTime, readConcern,
 * writeConcern, $readPreference, apiVersion, comment, maxTimeMS…) are simply
 * ignored by handlers. After a handler ran, if it appended journal records
 * the reply is held until they are fsynced.
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
  ) {}

  /** Executes `command` against database `db` (the request's `$db`). */
  run(command: Document, base: Omit<CommandContext, 'db'>, db: unknown): DispatchResult {
    const name = Object.keys(command)[0];
    const seqBefore = this.journal?.appendedSeq ?? 0;
    let reply: Document;
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
      const ctx: CommandContext = { ...base, db: checkDbName(db ?? 'admin') };
      reply = { ...handler(command, ctx), ok: 1 };
    } catch (err) {
      const mongoErr = toMongoError(err);
      if (mongoErr.code === ErrorCode.InternalError) {
        this.log('error', 'command failed unexpectedly', { command: name, error: (err as Error).stack ?? String(err) });
      }
      reply = mongoErr.toReply();
    }
    const seqAfter = this.journal?.appendedSeq ?? 0;
    const durable = this.journal && seqAfter > seqBefore ? this.journal.waitFor(seqAfter) : null;
    return { reply, durable };
  }
}
