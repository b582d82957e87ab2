import { LIMITS } from '../../protocol/src/constants.ts';
import type { TrackEventInput } from '../../protocol/src/track.ts';

const bytes = (s: string): number => new TextEncoder().encode(s).length;

/**
 * The `/collect` body for the oldest events: at most `LIMITS.batchSize` of them and under 60 KB
 * (keepalive requests and beacons share a 64 KB budget). Undefined when there is nothing to send.
 */
export function collectBody(
  token: string,
  events: TrackEventInput[],
  maxBytes = 60_000,
): { body: string; count: number } | undefined {
  let size = bytes(token) + 30;
  let count = 0;
  for (const e of events.slice(0, LIMITS.batchSize)) {
    size += bytes(JSON.stringify(e)) + 1;
    if (size > maxBytes) break;
    count++;
  }
  return count ? { body: JSON.stringify({ token, events: events.slice(0, count) }), count } : undefined;
}

/**
 * Sends a body that must survive the page going away. text/plain needs no CORS preflight, and
 * the token rides in the body, never in the URL.
 */
export function sendBeacon(url: string, body: string): void {
  if (navigator.sendBeacon && navigator.sendBeacon(url, new Blob([body], { type: 'text/plain' }))) return;
  fetch(url, {
    method: 'POST',
    keepalive: true,
    credentials: 'omit',
    headers: { 'content-type': 'text/plain' },
    body,
  }).catch(() => {});
}
