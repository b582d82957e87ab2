import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { expect } from 'vitest';
import { loadConfig, type Config } from '../../../server/src/config.ts';
import { statusOf, toErrorBody } from '../../../server/src/domain/app-error.ts';
import { rejectTokenInQuery } from '../../../server/src/http/require-auth.ts';
import { authRoutes } from '../../../server/src/http/routes/auth-routes.ts';
import { DEMO_USERS } from '../../../server/src/identity/demo-users.ts';
import { createTokenService, type TokenService } from '../../../server/src/identity/hub-tokens.ts';
import { createUpstreamVerifier } from '../../../server/src/identity/upstream-jwt.ts';

/** A fixed test secret for hub tokens (32+ bytes). */
export const HUB_SECRET = new TextEncoder().encode('test-hub-secret-0123456789abcdef0123456789');

export interface TestApp {
  url: string;
  config: Config;
  tokens: TokenService;
  /** Moves the token service's clock (ms). */
  clock: { now: number };
  close(): Promise<void>;
}

/** A local app like the lead's: JSON parser, the auth router at /api/v1, a minimal error handler. */
export async function startApp(env: Record<string, string> = {}, ttlSec = 3600): Promise<TestApp> {
  const config = loadConfig({ DATA_DIR: ':memory:', ...env });
  const clock = { now: Date.now() };
  const tokens = createTokenService({ secret: HUB_SECRET, ttlSec, now: () => clock.now });
  const app = express();
  app.use(
    '/api/v1',
    rejectTokenInQuery,
    express.json({ limit: '32kb' }),
    authRoutes({ config, tokens, upstream: createUpstreamVerifier(config), demoUsers: DEMO_USERS }),
  );
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    res.status(statusOf(err)).json({ error: toErrorBody(err) });
  };
  app.use(onError);
  return { ...(await listen(app)), config, tokens, clock };
}

/** Listens on port 0 and returns the base URL and a closer that drops keep-alive sockets. */
export async function listen(app: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies of many shapes, asserted field by field */
/** JSON request helper. */
export async function call(
  url: string,
  opts: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: opts.method ?? (opts.body !== undefined ? 'POST' : 'GET'),
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** Asserts a safe error reply: the expected status and code, a short message, no stack. */
export function expectError(res: { status: number; body: any }, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message).not.toMatch(/\n\s+at |stack|node_modules|\.ts:\d/);
  expect(res.body.error.message.length).toBeLessThan(200);
}
