import { inject } from 'vitest';
import { createHub, type Hub } from '../../server/src/app.ts';
import { loadConfig } from '../../server/src/config.ts';
import { createLogger, type Logger } from '../../server/src/logger.ts';
import { uniqueDbName } from './database-target.ts';

export interface TestHub {
  hub: Hub;
  url: string;
  port: number;
  env: Record<string, string>;
  /** Graceful stop. */
  stop(): Promise<void>;
}

/** A MongoDB URL for a fresh database of the run's target. */
export function testMongoUrl(prefix = 'test'): string {
  return `${inject('mongoUrl')}${uniqueDbName(prefix)}`;
}

/**
 * Starts a hub in-process on a free port against the run's database (a fresh database per
 * call unless `MONGO_URL` is passed). `env` overrides any configuration variable.
 */
export async function startHub(env: Record<string, string> = {}, opts: { log?: Logger } = {}): Promise<TestHub> {
  const full: Record<string, string> = {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: ':memory:',
    LOG_LEVEL: 'silent',
    HUB_JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
    MONGO_URL: testMongoUrl('hub'),
    ...env,
  };
  const config = loadConfig(full);
  const hub = await createHub(config, { log: opts.log ?? createLogger(full.LOG_LEVEL ?? 'silent') });
  const url = await hub.listen();
  return { hub, url, port: Number(new URL(url).port), env: full, stop: () => hub.close() };
}

/** Restarts a hub on the same port and database (a rolling restart of one instance). */
export async function restartHub(t: TestHub, opts: { log?: Logger } = {}): Promise<TestHub> {
  await t.stop();
  return startHub({ ...t.env, PORT: String(t.port) }, opts);
}

/**
 * Signs in through the dev login and returns the hub token. The request's Origin decides the
 * token's scope: by default the hub's own (a dashboard's `read` token, which may also track);
 * `scope: 'track'` sends none, as a server-to-server caller does, for a tracker's `track` token.
 */
export async function devToken(
  url: string,
  user: { userId: string; name?: string; role: 'agency' | 'location'; agencyId: string; locationId?: string | null },
  opts: { scope?: 'read' | 'track'; origin?: string } = {},
): Promise<string> {
  const origin = opts.origin ?? (opts.scope === 'track' ? undefined : new URL(url).origin);
  const res = await fetch(`${url}/api/v1/auth/dev`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
    body: JSON.stringify({ name: user.userId, ...user }),
  });
  if (!res.ok) throw new Error(`dev login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** GET a JSON API route with a bearer token. */
export async function apiGet<T = unknown>(
  url: string,
  path: string,
  token: string,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as T };
}

/** Polls until `fn` returns a truthy value or the time runs out. */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 5_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
