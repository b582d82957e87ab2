import { randomUUID } from 'node:crypto';
import { TZDate } from '@date-fns/tz';
import type { PageviewDoc, SessionDoc } from '../storage/models.ts';
import { pageviewKey, sessionKey } from '../domain/tracking-types.ts';
import { normal, PAGES, type SeedAgency, type SeedUser } from './seed-catalog.ts';

/**
 * Synthetic activity for one user on one local day: sessions during working hours of the user's
 * time zone (weekdays 9–18 with a lunch dip, light weekends), page views drawn from a Zipf-like
 * page mix, wall times log-normal around 40 s, engaged time a share of that.
 */
export interface DayPlan {
  /** Mean page views on a weekday for an average user. */
  pageviewsPerDay: number;
  /** Nothing is generated past this instant (epoch ms). */
  endAt: number;
}

/** Relative activity per local hour; the dip at 12–13 is lunch. */
const HOURS: number[] = Array.from(
  { length: 24 },
  (_, h) =>
    ({
      7: 0.15,
      8: 0.5,
      9: 1,
      10: 1,
      11: 0.95,
      12: 0.45,
      13: 0.55,
      14: 0.95,
      15: 0.95,
      16: 0.9,
      17: 0.7,
      18: 0.3,
      19: 0.12,
      20: 0.06,
    })[h] ?? 0,
);
const HOUR_CDF = cumulative(HOURS);
/** Zipf weights, exponent 1.1: the first pages get most of the visits. */
const PAGE_CDF = cumulative(PAGES.map((_, i) => 1 / (i + 1) ** 1.1));
const AGENTS = [
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    device: 'desktop',
  },
  {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    device: 'desktop',
  },
  {
    ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
    device: 'mobile',
  },
];

function cumulative(weights: number[]): number[] {
  const total = weights.reduce((a, w) => a + w, 0);
  let acc = 0;
  return weights.map((w) => (acc += w / total));
}

const sample = (cdf: number[], rnd: () => number): number => {
  const r = rnd();
  const i = cdf.findIndex((c) => r < c);
  return i < 0 ? cdf.length - 1 : i;
};

/** Page views and sessions of `user` on the local day starting at `day` (a TZDate at midnight). */
export function userDay(
  agency: SeedAgency,
  user: SeedUser,
  day: TZDate,
  plan: DayPlan,
  rnd: () => number,
): { pageviews: PageviewDoc[]; sessions: SessionDoc[] } {
  const weekend = day.getDay() === 0 || day.getDay() === 6;
  const pageviews: PageviewDoc[] = [];
  const sessions: SessionDoc[] = [];
  if (rnd() > (weekend ? 0.25 : 0.93)) return { pageviews, sessions };
  const mean = plan.pageviewsPerDay * user.activity * (weekend ? 0.2 : 1);
  let remaining = Math.max(1, Math.round(mean * Math.exp(0.3 * normal(rnd))));
  while (remaining > 0) {
    const size = Math.min(remaining, 5 + Math.floor(rnd() * 25));
    remaining -= size;
    const hour = sample(HOUR_CDF, rnd);
    let at = new TZDate(
      day.getFullYear(),
      day.getMonth(),
      day.getDate(),
      hour,
      Math.floor(rnd() * 60),
      Math.floor(rnd() * 60),
      user.tz,
    ).getTime();
    const agent = AGENTS[Math.floor(rnd() * AGENTS.length)] as (typeof AGENTS)[number];
    const sessionId = randomUUID();
    const sessionStart = at;
    let referrer = '';
    for (let i = 0; i < size; i++) {
      const wallMs = Math.round(Math.min(1_200_000, Math.max(2_000, Math.exp(Math.log(40_000) + normal(rnd)))));
      const endedAt = at + wallMs;
      if (endedAt > plan.endAt) break;
      const page = PAGES[sample(PAGE_CDF, rnd)] as (typeof PAGES)[number];
      const id = randomUUID();
      const url = `https://app.example-crm.com/v2/location/${user.locationId ?? agency.agencyId}${page.path}`;
      const last = i === size - 1;
      pageviews.push({
        _id: pageviewKey(agency.agencyId, id),
        id,
        sessionId,
        userId: user.userId,
        userName: user.name,
        agencyId: agency.agencyId,
        locationId: user.locationId,
        url,
        path: page.path,
        title: page.title,
        referrer,
        startedAt: new Date(at),
        lastSeenAt: new Date(endedAt),
        aliveAt: new Date(endedAt),
        endedAt: new Date(endedAt),
        engagedMs: Math.floor(wallMs * (0.5 + 0.48 * rnd())),
        endReason: last ? (rnd() < 0.85 ? 'leave' : 'timeout') : 'navigate',
        // Written when it ended: the rollup job sees seeded history as old, already rolled up.
        seqFloor: -1,
        seqs: [],
        updatedAt: new Date(endedAt),
      });
      referrer = url;
      at = endedAt + 300 + Math.floor(rnd() * 2_500);
    }
    if (at > sessionStart) {
      sessions.push({
        _id: sessionKey(agency.agencyId, user.userId, sessionId),
        id: sessionId,
        userId: user.userId,
        userName: user.name,
        agencyId: agency.agencyId,
        locationId: user.locationId,
        userAgent: agent.ua,
        device: agent.device,
        startedAt: new Date(sessionStart),
        lastSeenAt: new Date(at),
        endedAt: new Date(at),
      });
    }
  }
  return { pageviews, sessions };
}
