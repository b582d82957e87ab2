/**
 * A minimal socket.io client over raw `ws`: engine.io v4 framing (`0` open, `2`/`3` ping/pong,
 * `4` message) and socket.io v5 packets (`0` connect, `2` event, `3` ack, `4` connect error)
 * for one namespace. It holds a few fields per connection, so one generator process can drive
 * 15,000 of them; socket.io-client costs about twice the CPU.
 */
import WebSocket from 'ws';

/** Why a connection did not open: an error code from the server, or a transport failure. */
export class ConnectRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Reads `{code,message,retryAfterMs}` from a refusal body, which may be JSON inside JSON. */
export function parseRefusal(body: string): ConnectRefused {
  try {
    let v = JSON.parse(body) as { code?: unknown; message?: unknown; retryAfterMs?: unknown; data?: unknown };
    if (v.data && typeof v.data === 'object') v = v.data as typeof v;
    if (typeof v.code !== 'string' && typeof v.message === 'string' && v.message.startsWith('{')) {
      v = JSON.parse(v.message) as typeof v;
    }
    if (typeof v.code === 'string') {
      return new ConnectRefused(
        v.code,
        String(v.message ?? ''),
        typeof v.retryAfterMs === 'number' ? v.retryAfterMs : undefined,
      );
    }
  } catch {
    /* not JSON */
  }
  return new ConnectRefused('refused', body.slice(0, 200));
}

export type AckHandler = (reply: string) => void;

/** One socket.io connection to one namespace. */
export class EioConnection {
  private ackId = 0;
  private readonly acks = new Map<number, AckHandler>();
  /** Called with the raw JSON array of every event the server emits (`["name",payload]`). */
  onEvent: ((json: string) => void) | null = null;
  onClose: (() => void) | null = null;
  open = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly nsp: string,
  ) {}

  /** Opens the WebSocket, joins `nsp` with `auth`, resolves once the namespace is connected. */
  static connect(baseUrl: string, nsp: string, auth: Record<string, unknown>, timeoutMs = 20_000) {
    const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const c = new EioConnection(ws, nsp);
    const prefix = nsp === '/' ? '' : `${nsp},`;
    return new Promise<EioConnection>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new ConnectRefused('timeout', `no connect within ${timeoutMs} ms`));
      }, timeoutMs);
      const fail = (e: ConnectRefused) => {
        clearTimeout(timer);
        reject(e);
      };
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => fail(parseRefusal(body)));
        res.on('error', () => fail(new ConnectRefused('refused', `HTTP ${res.statusCode}`)));
      });
      ws.on('error', (err) => fail(new ConnectRefused('transport', err.message)));
      ws.on('close', () => {
        c.open = false;
        if (c.onClose) c.onClose();
        fail(new ConnectRefused('closed', 'closed before connect'));
      });
      ws.on('message', (data: Buffer) => {
        const s = data.toString();
        const t = s.charCodeAt(0);
        if (t === 50 /* 2 ping */) return ws.send('3');
        if (t !== 52 /* 4 message */) {
          if (t === 48 /* 0 open */) ws.send(`40${prefix}${JSON.stringify(auth)}`);
          return;
        }
        const p = s.charCodeAt(1);
        const body = s.slice(2 + prefix.length);
        if (p === 51 /* 3 ack */) {
          const b = body.indexOf('[');
          const id = Number(body.slice(0, b));
          const h = c.acks.get(id);
          if (h) {
            c.acks.delete(id);
            h(body.slice(b));
          }
        } else if (p === 50 /* 2 event */) {
          if (c.onEvent) c.onEvent(body);
        } else if (p === 48 /* 0 connect */) {
          c.open = true;
          clearTimeout(timer);
          resolve(c);
        } else if (p === 52 /* 4 connect error */) {
          fail(parseRefusal(body));
          ws.close();
        } else if (p === 49 /* 1 disconnect */) {
          ws.close();
        }
      });
    });
  }

  /** Emits `event` with `payload` (already JSON) and calls `onAck` with the ack's JSON array. */
  emit(event: string, payloadJson: string, onAck: AckHandler): void {
    const id = this.ackId++;
    this.acks.set(id, onAck);
    this.ws.send(`42${this.nsp === '/' ? '' : `${this.nsp},`}${id}["${event}",${payloadJson}]`);
  }

  /** Acks still outstanding. */
  get pending(): number {
    return this.acks.size;
  }

  close(): void {
    this.ws.terminate();
  }
}
