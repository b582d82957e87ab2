import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiGet, devToken, eventually } from '../../helpers/hub.ts';
import { freePort } from '../../helpers/redis-server.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import type { Page, PageviewItem } from '@activity-hub/protocol';

const MAIN = path.resolve('server/dist/main.js');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ah-start-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Runs the built hub the way `npm start` does, with no variables but the port and data dir. */
function startProcess(env: Record<string, string>): {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  let out = '';
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(MONGO_URL|REDIS_URL|HUB_JWT_SECRET|NODE_ENV|PORT|DATA_DIR)$/.test(k),
    ),
  );
  const proc = spawn(process.execPath, [MAIN], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, output: () => out, exited };
}

describe('npm start', () => {
  it('fails fast on a bad variable, naming it and what it expects', async () => {
    const cases = [
      ['PORT', 'abc', 'PORT'],
      ['HEARTBEAT_INTERVAL_MS', '100', 'HEARTBEAT_INTERVAL_MS'],
      ['MONGO_URL', 'http://nope', 'mongodb://'],
      ['LOG_LEVEL', 'loud', 'LOG_LEVEL'],
    ] as const;
    await Promise.all(
      cases.map(async ([name, value, expects]) => {
        const p = startProcess({ [name]: value, DATA_DIR: ':memory:' });
        expect(await p.exited).toBe(2);
        expect(p.output()).toContain(name);
        expect(p.output()).toContain(expects);
        expect(p.output()).not.toMatch(/\n\s+at /); // no stack trace
      }),
    );
  });

  it('keeps what the first start stored across a second start, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const first = startProcess(env);
    await eventually(() => first.output().includes('Activity Hub listening'), 20_000);
    expect(first.output()).toContain(`listening on ${url}`);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { database: 'up' } });

    const user = { userId: 'u-keep', role: 'location' as const, agencyId: 'ag-keep', locationId: 'loc-1' };
    const tr = await FakeTracker.connect(url, await devToken(url, user));
    const pv = tr.pageview('/kept');
    expect((await tr.send(pv)).ok).toBe(true);
    expect((await tr.send(tr.heartbeat(pv.id, 500))).ok).toBe(true);
    tr.close();
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = startProcess(env);
    await eventually(() => second.output().includes('Activity Hub listening'), 20_000);
    const agency = await devToken(url, { userId: 'boss', role: 'agency', agencyId: 'ag-keep' });
    const r = await apiGet<Page<PageviewItem>>(url, '/api/v1/pageviews', agency);
    expect(r.body.items.map((i) => i.id)).toContain(pv.id);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);
});
