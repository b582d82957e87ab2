/**
 * One client connection: reassembles messages from the TCP stream, runs
 * them in arrival order and writes replies in the same order, each only
 * after the journal has made its writes durable.
 *
 * Framing errors (impossible length, unknown opcode, broken sections) close
 * just this connection; undecodable BSON in a command gets an error reply.
 */
import type { Document } from 'bson';
import type { Socket } from 'node:net';
import type { Dispatcher } from './command-dispatcher.ts';
import type { CommandContext } from './commands/context.ts';
import { ErrorCode, MongoCommandError } from './errors.ts';
import type { LogFn } from './types.ts';
import { encodeOpMsg, encodeOpReply, MAX_MESSAGE_BYTES, OP_MSG, parseMessage, ProtocolError } from './wire-protocol.ts';

const QUERY_FAILURE = 2;

export class Connection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private replies: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly dispatcher: Dispatcher,
    private readonly ctx: Omit<CommandContext, 'db'>,
    private readonly log: LogFn,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.destroy());
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** Closes the socket immediately (server shutdown or protocol violation). */
  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (!this.closed && this.buffered >= 4) {
      const head = (this.chunks[0] as Buffer).length >= 4 ? (this.chunks[0] as Buffer) : this.merge();
      const length = head.readInt32LE(0);
      if (length < 16 || length > MAX_MESSAGE_BYTES) {
        this.protocolFailure(`invalid message length ${length}`);
        return;
      }
      if (this.buffered < length) return;
      const all = this.merge();
      const message = all.subarray(0, length);
      const rest = all.subarray(length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.handle(message);
    }
  }

  private merge(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] as Buffer;
  }

  private protocolFailure(reason: string): void {
    this.log('warn', 'closing connection after malformed message', { connectionId: this.ctx.connectionId, reason });
    this.destroy();
  }

  private handle(message: Buffer): void {
    const requestId = message.readInt32LE(4);
    let request;
    try {
      request = parseMessage(message);
    } catch (err) {
      if (err instanceof ProtocolError || message.readInt32LE(12) !== OP_MSG) {
        this.protocolFailure((err as Error).message);
        return;
      }
      // The frame is fine but a document is not valid BSON: answer, keep the connection.
      const reply = new MongoCommandError(
        ErrorCode.InvalidBSON,
        `invalid BSON in request: ${(err as Error).message}`,
      ).toReply();
      this.send(null, () => encodeOpMsg(requestId, reply));
      return;
    }
    if (request.kind === 'query') {
      if (!request.collection.endsWith('.$cmd')) {
        const failure = { $err: 'OP_QUERY is only supported for commands', code: 352, ok: 0 };
        this.send(null, () => encodeOpReply(requestId, failure, QUERY_FAILURE));
        return;
      }
      const result = this.dispatcher.run(request.command, this.ctx, request.collection.slice(0, -'.$cmd'.length));
      this.send(result.durable, (reply = result.reply) => encodeOpReply(requestId, reply));
      return;
    }
    const result = this.dispatcher.run(request.command, this.ctx, request.command.$db);
    if (request.moreToCome) {
      // Unacknowledged write (w:0): the client expects no reply at all.
      result.durable?.catch(() => undefined);
      return;
    }
    this.send(result.durable, (reply = result.reply) => encodeOpMsg(requestId, reply));
  }

  /** Queues a reply behind earlier ones and behind the journal fsync it depends on. */
  private send(durable: Promise<void> | null, encode: (replacement?: Document) => Buffer): void {
    this.replies = this.replies.then(async () => {
      let replacement: Document | undefined;
      if (durable) {
        try {
          await durable;
        } catch (err) {
          replacement = {
            ok: 0,
            errmsg: `journal write failed: ${(err as Error).message}`,
            code: ErrorCode.InternalError,
            codeName: 'InternalError',
          };
        }
      }
      let buf: Buffer;
      try {
        buf = encode(replacement);
      } catch (err) {
        buf = encode({
          ok: 0,
          errmsg: `cannot encode reply: ${(err as Error).message}`,
          code: 10334,
          codeName: 'BSONObjectTooLarge',
        });
      }
      if (!this.closed) this.socket.write(buf);
    });
  }
}
