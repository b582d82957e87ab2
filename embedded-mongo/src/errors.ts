/**
 * MongoDB-shaped errors.
 *
 * Commands throw {@link MongoCommandError}; the dispatcher turns it into the
 * `{ok: 0, errmsg, code, codeName}` reply that drivers map to MongoServerError.
 */
import type { Document } from 'bson';

/** Server error codes we emit, with the codeName mongod uses for each. */
export const ErrorCode = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  Unauthorized: 13,
  IllegalOperation: 20,
  TypeMismatch: 14,
  InvalidBSON: 22,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  InvalidIdField: 53,
  NotSingleValueField: 54,
  DollarPrefixedFieldName: 52,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  NotImplemented: 238,
  DuplicateKey: 11000,
  UnrecognizedPipelineStage: 40324,
  /** Inclusion and exclusion mixed in one projection (mongod names these by code). */
  Location31253: 31253,
  Location31254: 31254,
} as const;

const codeNames = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/** Returns mongod's codeName for a numeric code (e.g. 11000 → DuplicateKey). */
export function codeNameOf(code: number): string {
  return codeNames.get(code) ?? 'UnknownError';
}

/** An error that becomes a command-level `{ok: 0}` reply or a writeError entry. */
export class MongoCommandError extends Error {
  readonly code: number;
  /** Extra reply fields, e.g. keyPattern/keyValue for duplicate keys. */
  readonly extra: Document;

  constructor(code: number, message: string, extra: Document = {}) {
    super(message);
    this.code = code;
    this.extra = extra;
  }

  get codeName(): string {
    return codeNameOf(this.code);
  }

  /** Command reply shape. */
  toReply(): Document {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }

  /** writeErrors[] entry shape (no codeName in mongod's write errors). */
  toWriteError(index: number): Document {
    return { index, code: this.code, errmsg: this.message, ...this.extra };
  }
}

/** Shorthand constructor used all over the command handlers. */
export function fail(code: number, message: string, extra?: Document): never {
  throw new MongoCommandError(code, message, extra);
}

/**
 * Converts anything thrown (mingo errors, bson errors, bugs) into a
 * MongoCommandError, choosing the code mongod would use for the known
 * mingo messages so client code that branches on codes keeps working.
 */
export function toMongoError(err: unknown): MongoCommandError {
  if (err instanceof MongoCommandError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/unregistered pipeline operator|Unknown pipeline operator/i.test(message)) {
    const stage = /(\$\w+)/.exec(message)?.[1] ?? '?';
    return new MongoCommandError(ErrorCode.UnrecognizedPipelineStage, `Unrecognized pipeline stage name: '${stage}'`);
  }
  if (/Unknown update operator/i.test(message)) {
    const op = /(\$\w+)/.exec(message)?.[1] ?? '?';
    return new MongoCommandError(
      ErrorCode.FailedToParse,
      `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`,
    );
  }
  if (/immutable field '_id'/.test(message)) return new MongoCommandError(ErrorCode.ImmutableField, message);
  if (/would create a conflict/.test(message))
    return new MongoCommandError(ErrorCode.ConflictingUpdateOperators, message);
  if (/unknown (query|projection|expression|accumulator) operator/i.test(message)) {
    return new MongoCommandError(ErrorCode.BadValue, message);
  }
  if (err instanceof Error && err.name === 'BSONError') return new MongoCommandError(ErrorCode.InvalidBSON, message);
  if (err instanceof Error && err.constructor.name === 'MingoError')
    return new MongoCommandError(ErrorCode.BadValue, message);
  return new MongoCommandError(ErrorCode.InternalError, message);
}
