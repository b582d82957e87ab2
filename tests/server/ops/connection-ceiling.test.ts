/**
 * The connection ceiling, small: a hub process under `prlimit --nofile=400:400` derives its
 * ceiling from that limit, holds that many sockets, refuses the rest at the handshake with
 * `over_capacity` (never `internal`), keeps the accepted ones working and HTTP answering.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMaxConnections } from '../../../server/src/realtime/connection-ceiling.ts';
import { ConnectRefused, EioConnection } from '../../helpers/eio-client.ts';
import { devToken, eventually } from '../../helpers/hub.ts';
import { hubEnv, spawnHub, startDbProcess, type DbProcess, type HubProcess } from '../../helpers/hub-process.ts';

const FD_LIMIT = 400;
const MAX = defaultMaxConnections(FD_LIMIT);
const CLIENTS = MAX + 50;

let db: DbProcess;
let hub: HubProcess;
let dbUrl: string;
const open: EioConnection[] = [];

beforeAll(async () => {
  db = await startDbProcess();
  dbUrl = `${db.url}ceiling_${Date.now().toString(36)}`;
  hub = await spawnHub('ceiling', hubEnv(dbUrl, null, { LOG_LEVEL: 'info' }), {
    launcher: ['prlimit', `--nofile=${FD_LIMIT}:${FD_LIMIT}`],
  });
}, 60_000);

afterAll(async () => {
  for (const c of open) c.close();
  await hub?.terminate();
  await db?.stop();
});

function ack(c: EioConnection, event: object): Promise<string> {
  return new Promise((resolve) => c.emit('event', JSON.stringify(event), resolve));
}

describe('connection ceiling', () => {
  it('derives MAX_CONNECTIONS from the open-file limit and logs both at start', () => {
    const start = hub.logs().find((l) => l.maxConnections !== undefined);
    expect(start).toMatchObject({ openFileLimit: FD_LIMIT, maxConnections: MAX });
    expect(MAX).toBeGreaterThan(100);
    expect(MAX).toBeLessThan(FD_LIMIT - 150);
  });

  it('holds MAX sockets, refuses the rest with over_capacity, and the accepted ones keep working', async () => {
    const agencyToken = await devToken(hub.url, { userId: 'boss', role: 'agency', agencyId: 'cap' });
    const token = await devToken(hub.url, { userId: 'u1', role: 'location', agencyId: 'cap', locationId: 'l1' });
    open.push(await EioConnection.connect(hub.url, '/live', { token: agencyToken }));
    const refused: ConnectRefused[] = [];
    // One at a time, so the count the hub sees is exact.
    for (let i = 0; i < CLIENTS; i++) {
      try {
        open.push(await EioConnection.connect(hub.url, '/track', { token }));
      } catch (err) {
        if (!(err instanceof ConnectRefused)) throw err;
        refused.push(err);
      }
    }
    expect(open.length).toBe(MAX);
    expect(refused.length).toBe(CLIENTS + 1 - MAX);
    for (const r of refused) {
      expect(r.code).toBe('over_capacity');
      expect(r.retryAfterMs).toBeGreaterThanOrEqual(10_000);
      expect(r.retryAfterMs).toBeLessThanOrEqual(30_000);
    }

    // Every accepted tracker: a page view and a heartbeat, each acked once stored.
    const trackers = open.slice(1);
    const replies = await Promise.all(
      trackers.map(async (c) => {
        const tabId = randomUUID();
        const pv = randomUUID();
        const a = await ack(c, {
          type: 'pageview',
          id: pv,
          seq: 0,
          tabId,
          url: 'https://a.example/x',
          path: '/x',
          title: 'X',
          referrer: '',
        });
        const b = await ack(c, {
          type: 'heartbeat',
          id: randomUUID(),
          seq: 1,
          tabId,
          pageviewId: pv,
          engagedMs: 100,
          state: 'active',
        });
        return [a, b];
      }),
    );
    expect(replies.flat().every((r) => r.startsWith('[{"ok":true'))).toBe(true);

    // HTTP keeps working at the ceiling.
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${hub.url}/readyz`)).status).toBe(200);
    const presence = await fetch(`${hub.url}/api/v1/presence`, { headers: { authorization: `Bearer ${agencyToken}` } });
    expect(presence.status).toBe(200);

    // Stored exactly once each.
    const client = new MongoClient(dbUrl, { directConnection: true });
    try {
      await client.connect();
      const docs = await eventually(async () => {
        const d = await client.db().collection('pageviews').find({}).toArray();
        return d.length === trackers.length && d.every((x) => x.engagedMs === 100) ? d : null;
      }, 10_000);
      expect(docs.length).toBe(trackers.length);
    } finally {
      await client.close();
    }

    // Room frees up as sockets leave.
    for (const c of open.splice(1, 10)) c.close();
    const again = await eventually(
      () => EioConnection.connect(hub.url, '/track', { token }).catch(() => null),
      10_000,
      200,
    );
    open.push(again);

    const fds = readdirSync(`/proc/${hub.proc.pid}/fd`).length;
    expect(fds).toBeLessThan(FD_LIMIT);
    expect(hub.errors()).toEqual([]);
    expect(hub.stderr()).not.toMatch(/EMFILE/);
  }, 60_000);
});
