// Pure formatting helpers. No runes and no DOM here, so the vitest smoke tests can import them.

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * A compact duration: "0s", "45s", "3m 05s", "2h 04m", "3d 4h".
 * Seconds are shown below an hour so a ticking timer visibly moves; above that they are noise.
 */
export function formatDuration(ms: number): string {
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0;
  const total = Math.floor(safe / SECOND);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const seconds = total % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${pad2(minutes)}m`;
  if (minutes > 0) return `${minutes}m ${pad2(seconds)}s`;
  return `${seconds}s`;
}

/** Duration for chart axes, one unit only: "0s", "30s", "12m", "3.5h". */
export function formatDurationShort(ms: number): string {
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (safe < MINUTE) return `${Math.round(safe / SECOND)}s`;
  if (safe < HOUR) return `${Math.round(safe / MINUTE)}m`;
  if (safe < 100 * HOUR) return `${Math.round((safe / HOUR) * 10) / 10}h`;
  return `${Math.round(safe / HOUR)}h`;
}

/**
 * The unit engaged time is charted in, so an axis gets round ticks (10m, 20m… or 30m, 1h,
 * 1.5h…) instead of arbitrary millisecond steps: minutes, or hours once any value reaches 2 h.
 */
export function chartDurationUnit(...series: ((number | null)[] | null)[]): number {
  const max = Math.max(0, ...series.flatMap((s) => s ?? []).map((v) => v ?? 0));
  return max >= 2 * HOUR ? HOUR : MINUTE;
}

/** `values` (ms) in `unit`s; gaps stay gaps. */
export const inUnit = (values: (number | null)[], unit: number): (number | null)[] =>
  values.map((v) => (v === null ? null : v / unit));

/** "just now", "4m ago", "2h ago", "3d ago": how long ago `thenMs` was, as of `nowMs`. */
export function formatAgo(thenMs: number, nowMs: number): string {
  const diff = Math.max(0, nowMs - thenMs);
  if (diff < 45 * SECOND) return 'just now';
  if (diff < HOUR) return `${Math.max(1, Math.round(diff / MINUTE))}m ago`;
  if (diff < DAY) return `${Math.floor(diff / HOUR)}h ago`;
  return `${Math.floor(diff / DAY)}d ago`;
}

const numberFormat = new Intl.NumberFormat();

export function formatNumber(n: number): string {
  return numberFormat.format(n);
}

export type ChangeDirection = 'up' | 'down' | 'flat' | 'new';

/** Change of `current` against `previous`, as a signed, rounded percentage. */
export function formatChange(current: number, previous: number): { text: string; direction: ChangeDirection } {
  if (previous === 0) {
    return current === 0 ? { text: '0%', direction: 'flat' } : { text: 'new', direction: 'new' };
  }
  const pct = Math.round(((current - previous) / previous) * 100);
  if (pct === 0) return { text: '0%', direction: 'flat' };
  return { text: `${pct > 0 ? '+' : '−'}${Math.abs(pct)}%`, direction: pct > 0 ? 'up' : 'down' };
}

/** Wall-clock time of day ("14:05:09") in the viewer's own zone, for the live feed. */
export function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' });
}

/** Date and time in the viewer's zone, for tooltips ("Mar 5, 14:05"). */
export function formatDateTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** A chart label for a bucket that starts at `iso`, rendered in the report's time zone. */
export function formatBucketLabel(iso: string, granularity: 'day' | 'week' | 'month', timeZone: string): string {
  const options: Intl.DateTimeFormatOptions =
    granularity === 'month' ? { month: 'short', year: 'numeric' } : { month: 'short', day: 'numeric' };
  return new Intl.DateTimeFormat(undefined, { ...options, timeZone }).format(new Date(iso));
}

/** Up to two initials for an avatar ("Ada Lovelace" → "AL"). */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = parts[0]?.[0] ?? '?';
  const last = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '';
  return (first + last).toUpperCase();
}

/** Time of day ("14:05") of an instant in `timeZone`. */
export function formatTimeIn(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone }).format(ms);
}

/** A day heading ("Monday, March 4, 2024") for an instant in `timeZone`. */
export function formatDayIn(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, {
    weekday: 'long',
    month: 'long',
    day: 'numeric',
    year: 'numeric',
    timeZone,
  }).format(ms);
}

/** "Desktop", "Mobile"…: a device class as a word. */
export function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
