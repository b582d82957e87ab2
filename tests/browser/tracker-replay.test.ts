/**
 * Scenarios 3 and 5 of "Tracker → hub → MongoDB": events the hub stored but whose acks never
 * came back are sent again after a reload (the outbox lives in sessionStorage) and stored once;
 * the same event sent 100 times is stored once and acked 100 times.
 *
 * The tracker's websocket runs through `page.routeWebSocket`, which forwards every frame to the
 * real hub and lets the test drop acks or repeat frames. Socket.io frames on /track look like
 * `42/track,7["event",{…}]` (an event with ack id 7) and `43/track,7[{"ok":true}]` (its ack).
 */
import type { Page, WebSocketRoute } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/hub.ts';
import {
  duplicateIds,
  hostPage,
  identities,
  keepActive,
  measured,
  near,
  pageStart,
  setVisible,
  sleep,
  storedPageviews,
} from './tracker-harness.ts';
import { useTrackerRig } from './tracker-rig.ts';

const FRAME = /^4([23])\/track,(\d+)(.*)$/s;

interface Frame {
  kind: 'event' | 'ack';
  ackId: number;
  /** The tracker event's id (events) or the ack's body (acks). */
  body: { id?: string; seq?: number; type?: string; ok?: boolean };
  connection: number;
}

/**
 * Routes the page's sockets through the test. `onClientEvent` may return how many extra
 * copies of an event frame to send (each with its own ack id, answered to the test only).
 */
async function tapSockets(page: Page, opts: { dropAcks: () => boolean; copies?: (f: Frame) => number }) {
  const sent: Frame[] = [];
  const acked: Frame[] = [];
  const extraAcks: Frame[] = [];
  let connections = 0;
  await page.routeWebSocket(/\/socket\.io\//, (ws: WebSocketRoute) => {
    const connection = ++connections;
    const server = ws.connectToServer();
    const extra = new Set<number>();
    ws.onMessage((msg) => {
      server.send(msg);
      const m = typeof msg === 'string' ? FRAME.exec(msg) : null;
      if (!m || m[1] !== '2') return;
      const [, body] = JSON.parse(m[3]!) as [string, Frame['body']];
      const frame: Frame = { kind: 'event', ackId: Number(m[2]), body, connection };
      sent.push(frame);
      const copies = opts.copies?.(frame) ?? 0;
      for (let i = 0; i < copies; i++) {
        const ackId = 1_000_000 + extra.size;
        extra.add(ackId);
        server.send(`42/track,${ackId}${m[3]}`);
      }
    });
    server.onMessage((msg) => {
      const m = typeof msg === 'string' ? FRAME.exec(msg) : null;
      if (m && m[1] === '3') {
        const frame: Frame = {
          kind: 'ack',
          ackId: Number(m[2]),
          body: (JSON.parse(m[3]!) as [Frame['body']])[0],
          connection,
        };
        if (extra.has(frame.ackId)) return void extraAcks.push(frame);
        acked.push(frame);
        if (opts.dropAcks()) return;
      }
      ws.send(msg);
    });
  });
  return { sent, acked, extraAcks };
}

const outboxIds = (page: Page): Promise<string[]> =>
  page.evaluate(() =>
    (JSON.parse(sessionStorage.getItem('activityHub:outbox') ?? '[]') as { e: { id: string } }[]).map((x) => x.e.id),
  );

describe('tracker → hub: replays and duplicates', () => {
  const rig = useTrackerRig({
    HEARTBEAT_INTERVAL_MS: '5000',
    IDLE_TIMEOUT_MS: '5000',
    FLUSH_INTERVAL_MS: '100',
  });

  it('a reload while events are unacked sends them again with the same ids; each is stored once', async () => {
    const { host, hub, browser } = rig;
    const ids = await identities(hub, 'replay');
    let dropAcks = true;
    const html = hostPage(hub.url, ids.userToken, { mark: true });
    host.html = html;
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => problems.push(`${m.type()}: ${m.text()}`));
    const tap = await tapSockets(page, { dropAcks: () => dropAcks });
    await page.goto(host.url + '/app');
    const t0 = await pageStart(page);
    const stopInput = keepActive(page);

    // The hub stores the page view, but the tracker never hears so.
    const [stored] = await eventually(async () => {
      const docs = await storedPageviews(hub, ids.agencyId);
      return docs.length === 1 ? docs : undefined;
    });
    // The hub acks after the write, so the ack may still be on its way when the document shows.
    await eventually(() => tap.acked.some((a) => a.body.ok === true));
    await sleep(3_000 - (Date.now() - t0));
    // Hidden: a heartbeat, sent by socket (unacked) and by beacon (stored).
    const hiddenAt = await setVisible(page, false);
    await sleep(1_000);
    const shownAt = await setVisible(page, true);
    await sleep(2_000);
    const before = await outboxIds(page);
    expect(before[0]).toBe(stored!.id);
    expect(before.length).toBeGreaterThanOrEqual(3);

    dropAcks = false;
    const reloadAt = Date.now();
    await page.reload();
    // Everything queued before the reload (and its leave) is acked and leaves the outbox.
    await eventually(async () => (await outboxIds(page)).length === 0, 10_000);
    await stopInput();
    const truth = hiddenAt - t0 + (reloadAt - shownAt);

    const docs = await storedPageviews(hub, ids.agencyId);
    expect(docs).toHaveLength(2);
    const [pv1, pv2] = docs;
    expect(pv1).toMatchObject({ id: stored!.id, endReason: 'leave' });
    expect(pv2!.endedAt).toBeNull();
    expect(duplicateIds(docs).duplicates).toEqual([]);
    // Replayed with the same ids on the new connection, and acked ok there.
    const again = tap.sent.filter((f) => f.connection > 1 && before.includes(f.body.id!));
    expect(again.map((f) => f.body.id)).toEqual(expect.arrayContaining(before));
    const lastConnection = Math.max(...tap.sent.map((f) => f.connection));
    expect(tap.acked.filter((a) => a.connection === lastConnection).every((a) => a.body.ok)).toBe(true);
    measured('replay', {
      engagedMs: pv1!.engagedMs,
      truthMs: truth,
      replayed: again.length,
      seqs: pv1!.seqs.length,
    });
    expect(near(pv1!.engagedMs, truth), `engaged ${pv1!.engagedMs} ms, truth ${truth}`).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the same heartbeat sent 100 times more is stored once and acked every time', async () => {
    const { host, hub, browser } = rig;
    const ids = await identities(hub, 'dup');
    let target: string | undefined;
    let targetSeq: number | undefined;
    host.html = hostPage(hub.url, ids.userToken);
    const page = await browser.newPage();
    const tap = await tapSockets(page, {
      dropAcks: () => false,
      copies: (f) =>
        f.body.type === 'heartbeat' && !target ? ((target = f.body.id), (targetSeq = f.body.seq), 100) : 0,
    });
    await page.goto(host.url + '/app');
    await eventually(() => tap.acked.length >= 1);
    await page.evaluate(() => window.activityHub!.flush());
    await eventually(() => tap.extraAcks.length === 100, 10_000);
    expect(tap.extraAcks.every((a) => a.body.ok === true)).toBe(true);
    const [doc] = await storedPageviews(hub, ids.agencyId);
    expect(doc!.seqs.filter((s) => s === targetSeq)).toHaveLength(1);
    expect(duplicateIds([doc!]).duplicates).toEqual([]);
    // Credited once: no more than the tracker claimed in all its (distinct) heartbeats.
    const claimed = tap.sent.reduce((n, f) => n + ((f.body as { engagedMs?: number }).engagedMs ?? 0), 0);
    expect(doc!.engagedMs).toBeLessThanOrEqual(claimed);
    await page.close();
  });
});
