// Smoke test of `docker compose up` through nginx, run by CI's compose job:
//   HUB_JWT_SECRET=… npx tsx scripts/compose-smoke.mjs [http://127.0.0.1:8080]
// 1. GET /healthz answers 200 through nginx;
// 2. a tracker sends a page view over /track with the WebSocket upgrade (no polling) and it is acked;
// 3. a dashboard on /live (also WebSocket only) receives it.
// Tokens are minted with the hub's own token service and the secret compose was given.
// Exits 0 when all three hold, 1 otherwise, printing what failed.
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import { createTokenService } from '../server/src/identity/hub-tokens.ts';

const base = (process.argv[2] ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const secret = process.env.HUB_JWT_SECRET;
if (!secret) {
  console.error('compose-smoke: set HUB_JWT_SECRET to the secret docker compose was started with');
  process.exit(1);
}
const TIMEOUT_MS = 15_000;
const step = (name) => console.log(`compose-smoke: ${name}`);
const within = (p, what) =>
  Promise.race([
    p,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS),
    ),
  ]);

const connect = (ns, token) =>
  within(
    new Promise((resolve, reject) => {
      const s = io(`${base}${ns}`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    }),
    `connect ${ns}`,
  );

async function main() {
  const health = await within(fetch(`${base}/healthz`), '/healthz');
  if (health.status !== 200) throw new Error(`/healthz answered ${health.status}`);
  step('/healthz 200 through nginx');

  const tokens = createTokenService({ secret: new TextEncoder().encode(secret), ttlSec: 600 });
  const agencyId = `smoke-${randomUUID().slice(0, 8)}`;
  const boss = await tokens.issue(
    {
      userId: 'smoke-boss',
      name: 'Smoke Boss',
      email: '',
      role: 'agency',
      agencyId,
      locationId: null,
    },
    'read',
  );
  const user = await tokens.issue(
    {
      userId: 'smoke-user',
      name: 'Smoke User',
      email: '',
      role: 'location',
      agencyId,
      locationId: 'loc-smoke',
    },
    'track',
  );

  const pageview = {
    type: 'pageview',
    id: randomUUID(),
    seq: 0,
    tabId: randomUUID(),
    url: 'https://app.example.com/smoke',
    path: '/smoke',
    title: 'Smoke',
    referrer: '',
  };
  const live = await connect('/live', boss.token);
  const seen = new Promise((resolve) =>
    live.on('upsert', (e) => {
      if (e.pageviewId === pageview.id) resolve(e);
    }),
  );
  step('/live connected over WebSocket');
  const tracker = await connect('/track', user.token);
  if (tracker.io.engine.transport.name !== 'websocket') throw new Error('tracker is not on WebSocket');
  const ack = await within(tracker.timeout(TIMEOUT_MS).emitWithAck('event', pageview), 'tracker ack');
  if (!ack.ok) throw new Error(`tracker event refused: ${JSON.stringify(ack.error)}`);
  step('tracker page view acked over WebSocket');
  const entry = await within(seen, '/live upsert');
  step(`/live received it: ${entry.userId} on ${entry.path}`);
  tracker.close();
  live.close();
}

main().then(
  () => {
    step('ok');
    process.exit(0);
  },
  (err) => {
    console.error(`compose-smoke: FAILED: ${err.message}`);
    process.exit(1);
  },
);
