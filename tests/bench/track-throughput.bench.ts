/**
 * Tracking throughput: the hub's /track namespace (validate, clamp, batch, store, ack) against
 * a bare socket.io server that acks each event at once, measured in the same run at the same
 * offered rate. Both servers run as their own processes; this process only generates load.
 *
 *   npx tsx tests/bench/track-throughput.bench.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';
import { io, type Socket } from 'socket.io-client';
import { HUB_TOKEN } from '../../protocol/src/constants.ts';
import { freePort, waitForPort } from '../helpers/redis-server.ts';

const SECRET = 'bench-secret-bench-secret-bench-secret-01';
const TABS = 200;
const RATES = [1_000, 3_000];
const SECONDS = 5;

const BARE = `
const { Server } = require('socket.io');
const io = new Server(Number(process.argv[1]), { transports: ['websocket'] });
io.of('/track').on('connection', (s) => { s.emit('settings', {}); s.on('event', (_e, ack) => ack({ ok: true })); });
`;

/** CPU seconds a process has used, from /proc (user + system). */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function token(i: number): Promise<string> {
  return new SignJWT({ agencyId: 'bench', locationId: `loc-${i % 5}`, role: 'location', name: `User ${i}`, email: '' })
    .setProtectedHeader({ alg: 'HS256', typ: HUB_TOKEN.type })
    .setSubject(`user-${i}`)
    .setJti(crypto.randomUUID())
    .setIssuer(HUB_TOKEN.issuer)
    .setAudience(HUB_TOKEN.audience)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

async function startServer(kind: 'bare' | 'hub'): Promise<{ proc: ChildProcess; url: string }> {
  const port = await freePort();
  const proc =
    kind === 'bare'
      ? spawn(process.execPath, ['-e', BARE, String(port)], { stdio: 'ignore' })
      : spawn(process.execPath, [path.resolve('server/dist/main.js')], {
          stdio: 'ignore',
          env: {
            ...process.env,
            PORT: String(port),
            HOST: '127.0.0.1',
            DATA_DIR: ':memory:',
            LOG_LEVEL: 'error',
            HUB_JWT_SECRET: SECRET,
            MONGO_URL: '',
            REDIS_URL: '',
          },
        });
  await waitForPort(port, 30_000);
  return { proc, url: `http://127.0.0.1:${port}` };
}

interface Figure {
  server: string;
  rate: number;
  acked: number;
  p50: number;
  p99: number;
  cpuUsPerEvent: number;
}

async function measure(kind: 'bare' | 'hub', rate: number): Promise<Figure> {
  const { proc, url } = await startServer(kind);
  const sockets: Socket[] = [];
  for (let i = 0; i < TABS; i++) {
    const s = io(`${url}/track`, { auth: { token: await token(i) }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((r, j) => (s.once('connect', () => r()), s.once('connect_error', j)));
    sockets.push(s);
  }
  const tabs = sockets.map((s, i) => ({ s, tabId: crypto.randomUUID(), pv: crypto.randomUUID(), seq: 0, i }));
  await Promise.all(
    tabs.map((t) =>
      t.s.emitWithAck('event', {
        type: 'pageview',
        id: t.pv,
        seq: t.seq++,
        tabId: t.tabId,
        url: 'https://x.example/a',
        path: '/a',
        title: 'A',
        referrer: '',
      }),
    ),
  );
  const latencies: number[] = [];
  const cpu0 = cpuSeconds(proc.pid!);
  const total = rate * SECONDS;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t = tabs[n % TABS]!;
    const sent = performance.now();
    pending.push(
      t.s
        .timeout(10_000)
        .emitWithAck('event', {
          type: 'heartbeat',
          id: crypto.randomUUID(),
          seq: t.seq++,
          tabId: t.tabId,
          pageviewId: t.pv,
          engagedMs: 100,
          state: 'active',
        })
        .then(
          (a: { ok: boolean }) => void (a.ok && latencies.push(performance.now() - sent)),
          () => {},
        ),
    );
  }
  await Promise.all(pending);
  const cpu = cpuSeconds(proc.pid!) - cpu0;
  for (const s of sockets) s.close();
  proc.kill('SIGKILL');
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { server: kind, rate, acked: latencies.length, p50: q(0.5), p99: q(0.99), cpuUsPerEvent: (cpu * 1e6) / total };
}

/** Runs the comparison and prints it; the bare server is the baseline. */
export async function run(): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const rate of RATES) for (const kind of ['bare', 'hub'] as const) out.push(await measure(kind, rate));
  console.log(
    `\n/track throughput: ${TABS} tabs, heartbeats at a fixed offered rate for ${SECONDS} s (hub acks only after storing)`,
  );
  console.log('server  rate/s  acked   ack p50 ms  ack p99 ms  CPU µs/event  CPU ratio vs bare');
  for (const f of out) {
    const base = out.find((b) => b.server === 'bare' && b.rate === f.rate)!;
    console.log(
      `${f.server.padEnd(6)}  ${String(f.rate).padStart(6)}  ${String(f.acked).padStart(6)}  ${f.p50.toFixed(1).padStart(10)}  ${f.p99.toFixed(1).padStart(10)}  ${f.cpuUsPerEvent.toFixed(0).padStart(12)}  ${(f.cpuUsPerEvent / base.cpuUsPerEvent).toFixed(2).padStart(8)}x`,
    );
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
