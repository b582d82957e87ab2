import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import {
  collectBodySchema,
  trackEventSchema,
  type Ack,
  type ErrorBody,
  type Goodbye,
} from '../../protocol/src/index.ts';

export interface Received {
  type: string;
  id: string;
  seq: number;
  tabId: string;
  [k: string]: unknown;
}

/**
 * A minimal stand-in for the hub's tracker surface (/track, /collect, /auth/refresh), to drive
 * the real bundle in Chromium without a database. Pages are served from the same origin.
 */
export interface FakeHub {
  url: string;
  events: Received[];
  collected: Received[];
  handshakes: { token: unknown; transport: string; at: number }[];
  /**
   * Refuse every new socket: with a handshake error (`next(err)` whose `data` is this body, as
   * the hub does over capacity), or with a bare HTTP 503 before engine.io sees the request (a
   * refusal by the HTTP server or a proxy). `http503` counts those refused requests.
   */
  refuse: ErrorBody | 503 | null;
  http503: number;
  /** Refuse new connections in engine.io's `allowRequest` with this body (as the hub's connection ceiling does). */
  engineRefusal: ErrorBody | null;
  refreshes: number;
  /** SSO payloads exchanged at /auth/sso. */
  ssoPayloads: string[];
  /** Protocol violations: events or bodies the real hub's schemas would refuse. */
  invalid: unknown[];
  authEvents: string[];
  sockets: Socket[];
  /** Tokens the handshake accepts. */
  tokens: Set<string>;
  /** Tokens /auth/refresh renews (besides the valid ones): expired but still renewable. */
  refreshable: Set<string>;
  /** Return this ack instead of storing (null = store and ack ok; 'drop' = never ack). */
  reply: (e: Received) => Ack | 'drop' | null;
  pages: Record<string, string>;
  settings: { heartbeatIntervalMs: number; idleTimeoutMs: number };
  bye(b: Goodbye): void;
  close(): Promise<void>;
}

export async function startFakeHub(
  trackerJs: string,
  opts: { transports?: ('polling' | 'websocket')[] } = {},
): Promise<FakeHub> {
  const hub = {
    events: [],
    collected: [],
    handshakes: [],
    refuse: null,
    http503: 0,
    engineRefusal: null,
    refreshes: 0,
    ssoPayloads: [],
    invalid: [],
    authEvents: [],
    sockets: [],
    tokens: new Set(['good']),
    refreshable: new Set(),
    reply: () => null,
    pages: {},
    settings: { heartbeatIntervalMs: 5_000, idleTimeoutMs: 60_000 },
  } as unknown as FakeHub;

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/tracker.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(trackerJs));
    } else if (req.method === 'POST' && path === '/api/v1/collect') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const parsed = collectBodySchema.safeParse(JSON.parse(body));
        if (!parsed.success) hub.invalid.push(parsed.error.issues);
        for (const e of (JSON.parse(body) as { events: Received[] }).events) {
          if (!trackEventSchema.safeParse(e).success) hub.invalid.push(e);
          hub.collected.push(e);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":[]}');
      });
    } else if (req.method === 'POST' && path === '/api/v1/auth/sso') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const { payload } = JSON.parse(body) as { payload: string };
        hub.ssoPayloads.push(payload);
        hub.tokens.add('sso-token');
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ token: 'sso-token', user: {}, expiresAt: Date.now() + 3_600_000 }));
      });
    } else if (req.method === 'POST' && path === '/api/v1/auth/refresh') {
      hub.refreshes++;
      const bearer = String(req.headers.authorization ?? '').replace('Bearer ', '');
      if (!hub.tokens.has(bearer) && !hub.refreshable.has(bearer)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"token_invalid"}}');
        return;
      }
      const token = `renewed-${hub.refreshes}`;
      hub.tokens.add(token);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token, user: {}, expiresAt: Date.now() + 3_600_000 }));
    } else if (hub.pages[path] !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(hub.pages[path]);
    } else {
      res.writeHead(404).end();
    }
  });

  const io = new Server(server, {
    cors: { origin: true },
    transports: opts.transports ?? ['polling', 'websocket'],
    allowRequest: (_req, fn) => (hub.engineRefusal ? fn(JSON.stringify(hub.engineRefusal), false) : fn(null, true)),
  });
  // engine.io took over the server's request and upgrade listeners: put a gate in front.
  for (const type of ['request', 'upgrade'] as const) {
    const inner = server.listeners(type) as ((req: http.IncomingMessage, res: unknown, head?: unknown) => void)[];
    // No websocket transport, no upgrade listener: Node then refuses upgrades itself.
    if (!inner.length) continue;
    server.removeAllListeners(type);
    server.on(
      type,
      (req: http.IncomingMessage, res: http.ServerResponse | import('node:net').Socket, head?: Buffer) => {
        if (hub.refuse === 503 && req.url?.startsWith('/socket.io/')) {
          hub.http503++;
          const body = '{"error":{"code":"over_capacity","message":"full"}}';
          if (res instanceof http.ServerResponse)
            res
              .writeHead(503, {
                'content-type': 'application/json',
                'access-control-allow-origin': String(req.headers.origin ?? '*'),
              })
              .end(body);
          else
            res.end(
              `HTTP/1.1 503 Service Unavailable\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
            );
          return;
        }
        for (const l of inner) l.call(server, req, res, head);
      },
    );
  }
  const track = io.of('/track');
  track.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    hub.handshakes.push({ token, transport: socket.conn.transport.name, at: Date.now() });
    if (hub.refuse && hub.refuse !== 503) {
      const err = new Error(hub.refuse.message) as Error & { data: unknown };
      err.data = hub.refuse;
      return next(err);
    }
    if (typeof token === 'string' && hub.tokens.has(token)) return next();
    const err = new Error('bad token') as Error & { data: unknown };
    err.data = { code: 'token_invalid', message: 'bad token' };
    next(err);
  });
  track.on('connection', (socket) => {
    hub.sockets.push(socket);
    socket.emit('settings', { ...hub.settings, tokenExpiresAt: Date.now() + 3_600_000 });
    socket.on('event', (e: Received, ack: (a: Ack) => void) => {
      if (!trackEventSchema.safeParse(e).success) hub.invalid.push(e);
      const r = hub.reply(e);
      if (r === 'drop') return;
      if (r) return ack(r);
      hub.events.push(e);
      ack({ ok: true });
    });
    socket.on('auth', (token: string, ack: (a: Ack<{ expiresAt: number }>) => void) => {
      hub.authEvents.push(token);
      ack({ ok: true, data: { expiresAt: Date.now() + 3_600_000 } });
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hub.bye = (b) => {
    for (const s of track.sockets.values()) {
      s.emit('bye', b);
      s.disconnect(true);
    }
  };
  hub.close = async () => {
    io.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return hub;
}

/** A page that loads the tracker with the given script attributes. */
export function page(attrs: string, body = '', head = ''): string {
  return `<!doctype html><html><head><title>Start</title>${head}<script src="/tracker.js" ${attrs} async></script></head><body><h1>Test</h1>${body}</body></html>`;
}
