/**
 * Activity Hub tracker: page views and engaged time, sent to the hub over socket.io.
 * Installed with a script tag (data-token / data-app-id) or window.activityHubConfig; exposes
 * only `window.activityHub`.
 */
import { LIMITS, TIMING } from '../../protocol/src/constants.ts';
import type { PresenceState } from '../../protocol/src/presence.ts';
import type { TrackerSettings, TrackEventInput } from '../../protocol/src/track.ts';
import { parseConfig, type GlobalConfig } from './config.ts';
import { createLink } from './connection.ts';
import { createEngagement } from './engagement.ts';
import { enableDebug, guard, later, log } from './guard.ts';
import { safeStorage, tabIdentity, uuid } from './ids.ts';
import { hookHistory } from './navigation.ts';
import { createOutbox } from './outbox.ts';
import { cleanReferrer, pageLocation } from './page-url.ts';

/** The only global the tracker adds. */
export interface ActivityHubApi {
  /** Tracks as the user of this hub token (starts tracking if there was no token yet). */
  identify(token: string): void;
  /** Sends a heartbeat with the engaged time so far. */
  flush(): void;
  /** Ends the page view, disconnects, and removes every listener and hook. */
  stop(): void;
  /** Debug mode only: what the tracker is doing. */
  debugState?(): object;
}

declare global {
  interface Window {
    activityHub?: ActivityHubApi;
    activityHubConfig?: GlobalConfig;
  }
}

// Only set while this script first runs, so it is read right away.
const script: Partial<HTMLScriptElement> = document.currentScript || {};

guard(start)();

function start(): void {
  if (window.activityHub) return; // Loaded twice.
  const cfg = parseConfig({ ...script.dataset }, window.activityHubConfig, script.src);
  if (cfg.debug) enableDebug();
  if (!cfg.endpoints.length) return;

  const store = safeStorage(() => sessionStorage);
  const tab = tabIdentity(store);
  // A duplicated tab's copied queue is the original's, which still sends it.
  if (tab.copy) store.setItem('activityHub:outbox', '[]');
  const outbox = createOutbox(store, 'activityHub:outbox');
  const now = (): number => performance.now();
  const clock = createEngagement(TIMING.idleTimeoutMs, now());
  const clamp = (v: number, lo: number, hi: number, d: number): number => Math.min(hi, Math.max(lo, +v || d));
  const link = createLink({
    endpoints: cfg.endpoints,
    appId: cfg.appId,
    outbox,
    retryMaxMs: cfg.retryMaxMs,
    // Another user from now on: their own page view (the previous user's queue is gone).
    onSwitch() {
      if (!running) return;
      clock.take(now());
      startPage('');
    },
    onSettings(s: TrackerSettings) {
      heartbeatMs = clamp(
        s.heartbeatIntervalMs,
        TIMING.heartbeatIntervalMinMs,
        TIMING.heartbeatIntervalMaxMs,
        heartbeatMs,
      );
      clock.idleMs = clamp(s.idleTimeoutMs, TIMING.idleTimeoutMinMs, TIMING.idleTimeoutMaxMs, clock.idleMs);
    },
  });

  let heartbeatMs: number = TIMING.heartbeatIntervalMs;
  let page: { id: string; url: string } | undefined;
  // A page view implies 'active'; the first tick reports otherwise at once.
  let state: PresenceState = 'active';
  let lastBeat = 0;
  let lastInput = 0;
  let running = false;
  let stopped = false;
  let routeTimer: ReturnType<typeof setTimeout> | 0 = 0;
  let ticker: ReturnType<typeof setInterval> | undefined;
  const cleanup: (() => void)[] = [];
  // Documents of same-origin child frames whose input is listened to.
  const frames = new WeakSet<Document>();
  const INPUT = 'pointerdown pointermove keydown scroll touchstart wheel';

  const base = () => ({ id: uuid(), seq: tab.next(), tabId: tab.id });

  function record(e: TrackEventInput): void {
    log(e.type, e);
    outbox.push({ e, at: Date.now(), p: now() });
    link.pump();
  }

  // Brings the clock up to date with visibility and focus; returns the state.
  const read = (): PresenceState =>
    clock.update(now(), document.visibilityState === 'visible', inFrame() || document.hasFocus());

  /**
   * Focus inside a child frame of this page (the window blurred, and its active element is the
   * frame) is still this tab. Input in a same-origin frame is listened to; in a cross-origin
   * frame it is invisible, so there the idle clock runs out unless input comes back here.
   */
  function inFrame(): boolean {
    const f = document.activeElement as HTMLIFrameElement | null;
    if (!f || f.tagName !== 'IFRAME') return false;
    try {
      // Throws for a cross-origin frame. Each frame document is hooked once, and not unhooked:
      // it goes with the frame's next navigation, and `onInput` ignores it after `stop()`.
      const d = f.contentWindow!.document;
      if (!frames.has(d)) {
        frames.add(d);
        listen(INPUT, onInput, d, false);
      }
    } catch {
      // Cross-origin.
    }
    return true;
  }

  function beat(s: PresenceState): void {
    state = s;
    lastBeat = now();
    if (page) record({ type: 'heartbeat', ...base(), pageviewId: page.id, engagedMs: clock.take(lastBeat), state: s });
  }

  // Every second: a heartbeat when the state changed, or when one is due while active.
  function tick(): void {
    const s = read();
    if (s !== state || (s === 'active' && now() - lastBeat >= heartbeatMs)) beat(s);
  }

  function startPage(referrer: string): void {
    const loc = pageLocation(location.href, cfg.allowQuery);
    const id = uuid();
    page = { id, url: loc.url };
    lastBeat = now();
    record({ type: 'pageview', ...base(), id, ...loc, title: document.title.slice(0, LIMITS.titleLength), referrer });
  }

  function endPage(reason: 'navigate' | 'unload'): void {
    tick();
    if (page) record({ type: 'leave', ...base(), pageviewId: page.id, engagedMs: clock.take(now()), reason });
    page = undefined;
  }

  // SPAs set the title after pushState, and Vue Router's push also calls replaceState with the
  // same URL: look once, shortly after, and start a page view only if the URL really changed.
  function onRoute(): void {
    routeTimer ||= later(() => {
      routeTimer = 0;
      const prev = page && page.url;
      if (!prev || pageLocation(location.href, cfg.allowQuery).url === prev) return;
      endPage('navigate');
      startPage(prev);
    }, 80);
  }

  function onInput(): void {
    const t = now();
    if (!running) return;
    // pointermove and scroll fire constantly; once a second is plenty while active.
    if (t - lastInput < 1000 && state === 'active') return;
    lastInput = t;
    clock.input(t);
    if (state !== 'active') tick();
  }

  function listen(types: string, fn: (e: Event) => void, target: EventTarget = window, undo = true): void {
    const g = guard(fn);
    for (const type of types.split(' ')) {
      target.addEventListener(type, g, { capture: true, passive: true });
      if (undo) cleanup.push(() => target.removeEventListener(type, g, true));
    }
  }

  function begin(): void {
    if (running || stopped) return;
    running = true;
    // Time before the first page view (an SSO exchange) belongs to no page.
    clock.take(now());
    startPage(cleanReferrer(document.referrer, cfg.allowQuery));
    tick();
    ticker = setInterval(guard(tick), 1000);
    cleanup.push(
      hookHistory(guard(onRoute)),
      () => clearInterval(ticker),
      () => clearTimeout(routeTimer || undefined),
    );
    listen('popstate hashchange routeLoaded', onRoute);
    listen(INPUT, onInput);
    // Coming back to the tab is activity too.
    listen('focus', () => {
      clock.input(now());
      tick();
    });
    listen('blur', tick);
    listen('visibilitychange', () => {
      if (document.visibilityState === 'visible') clock.input(now());
      tick();
      // Hidden is the last reliable moment on mobile: the page may be frozen or killed next.
      if (state === 'hidden') link.beacon();
    });
    listen('pagehide', () => {
      endPage('unload');
      link.beacon();
      tab.live(false);
    });
    // Back from the back/forward cache: a new page view.
    listen('pageshow', (e) => {
      if (!(e as PageTransitionEvent).persisted) return;
      tab.live(true);
      if (!page) startPage(cleanReferrer(document.referrer, cfg.allowQuery));
    });
  }

  const api: ActivityHubApi = {
    identify: guard((token: string) => {
      if (stopped || typeof token !== 'string' || !token) return;
      link.setToken(token);
      link.connect();
      begin();
    }),
    flush: guard(() => {
      if (running) beat(read());
    }),
    stop: guard(() => {
      if (stopped) return;
      if (running) endPage('unload');
      link.beacon();
      stopped = true;
      running = false;
      tab.live(false);
      link.stop();
      cleanup.forEach((f) => f());
    }),
  };
  if (cfg.debug)
    api.debugState = () => ({
      state,
      pageviewId: page && page.id,
      queued: outbox.items.length,
      connected: link.connected,
    });
  window.activityHub = api;

  if (cfg.token) api.identify(cfg.token);
  else if (cfg.appId) {
    // HighLevel Custom JS: sign in first; without a user there is nothing to track.
    void link.renew().then(
      guard((ok: boolean) => {
        if (ok && !stopped) {
          link.connect();
          begin();
        }
      }),
    );
  }
}
