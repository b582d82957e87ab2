import { DEMO_USERS } from '../identity/demo-users.ts';

/**
 * The cast of the demo data: agencies (the dev-login demo agencies first, so signing in as a
 * demo user shows a full dashboard), their locations and users, and the CRM pages they visit.
 */
export interface SeedUser {
  userId: string;
  name: string;
  locationId: string | null;
  tz: string;
  /** How busy this user is relative to the average (log-normal around 1). */
  activity: number;
}

export interface SeedAgency {
  agencyId: string;
  name: string;
  locations: { locationId: string; tz: string }[];
  users: SeedUser[];
}

/** CRM pages, most visited first; visits follow a Zipf-like law over this order. */
export const PAGES: { path: string; title: string }[] = [
  { path: '/conversations', title: 'Conversations' },
  { path: '/contacts', title: 'Contacts' },
  { path: '/opportunities', title: 'Opportunities' },
  { path: '/calendars', title: 'Calendars' },
  { path: '/dashboard', title: 'Dashboard' },
  { path: '/contacts/detail', title: 'Contact details' },
  { path: '/opportunities/pipeline', title: 'Pipeline' },
  { path: '/reporting', title: 'Reporting' },
  { path: '/automation/workflows', title: 'Workflows' },
  { path: '/marketing/emails', title: 'Email campaigns' },
  { path: '/payments/invoices', title: 'Invoices' },
  { path: '/sites/funnels', title: 'Funnels' },
  { path: '/reputation/reviews', title: 'Reviews' },
  { path: '/marketing/social-planner', title: 'Social planner' },
  { path: '/calendars/appointments', title: 'Appointments' },
  { path: '/memberships/courses', title: 'Courses' },
  { path: '/settings/business-profile', title: 'Business profile' },
  { path: '/settings/team', title: 'Team' },
  { path: '/settings/integrations', title: 'Integrations' },
  { path: '/app-marketplace', title: 'App marketplace' },
];

const ZONES = [
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Adelaide',
  'Australia/Sydney',
];
const AGENCY_NAMES = [
  'Initech Digital',
  'Umbrella Media',
  'Stark Leads',
  'Wayne Funnels',
  'Hooli Growth',
  'Vandelay Outreach',
  'Pied Piper Ads',
  'Soylent Social',
  'Tyrell Reach',
  'Cyberdyne CRM',
];
const CITIES = ['downtown', 'uptown', 'harbor', 'midtown', 'westside', 'airport'];
const FIRST = [
  'Ava',
  'Ben',
  'Chloe',
  'Diego',
  'Emma',
  'Farah',
  'Gabe',
  'Hana',
  'Ivan',
  'Jade',
  'Kofi',
  'Lena',
  'Milo',
  'Nia',
  'Omar',
  'Pia',
  'Quinn',
  'Rosa',
  'Sami',
  'Tara',
  'Umar',
  'Vera',
  'Wes',
  'Yara',
  'Zoe',
];
const LAST = [
  'Adams',
  'Baker',
  'Costa',
  'Dubois',
  'Evans',
  'Fischer',
  'Garcia',
  'Hughes',
  'Ito',
  'Jensen',
  'Khan',
  'Lopez',
  'Müller',
  'Novak',
  'Okoye',
  'Patel',
  'Rossi',
  'Silva',
  'Tanaka',
  'Weber',
];

/** A seeded pseudo-random generator (mulberry32): the same arguments give the same data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal sample (Box–Muller). */
export const normal = (rnd: () => number): number =>
  Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

/** `count` agencies with `usersPerAgency` users each; the demo agencies come first. */
export function buildAgencies(count: number, usersPerAgency: number, rnd: () => number): SeedAgency[] {
  const demoAgencies = [...new Set(DEMO_USERS.map((u) => u.agencyId))];
  const demoNames: Record<string, string> = { acme: 'Acme Marketing', globex: 'Globex Growth' };
  const out: SeedAgency[] = [];
  for (let i = 0; i < count; i++) {
    const agencyId = demoAgencies[i] ?? `agency-${i + 1}`;
    const demo = DEMO_USERS.filter((u) => u.agencyId === agencyId);
    const demoLocations = [...new Set(demo.map((u) => u.locationId).filter((l): l is string => !!l))];
    const locationIds = demoLocations.length
      ? demoLocations
      : CITIES.slice(0, 2 + Math.floor(rnd() * 3)).map((c) => `${agencyId}-${c}`);
    const locations = locationIds.map((locationId) => ({ locationId, tz: pick(rnd, ZONES) }));
    const tzOf = (loc: string | null) =>
      locations.find((l) => l.locationId === loc)?.tz ?? (locations[0] as { tz: string }).tz;
    const activity = () => Math.min(3, Math.exp(0.35 * normal(rnd)));
    const users: SeedUser[] = demo.slice(0, usersPerAgency).map((u) => ({
      userId: u.userId,
      name: u.name,
      locationId: u.locationId ?? null,
      tz: tzOf(u.locationId ?? null),
      activity: activity(),
    }));
    for (let n = users.length; n < usersPerAgency; n++) {
      const locationId = (locations[n % locations.length] as { locationId: string }).locationId;
      users.push({
        userId: `u-${agencyId}-${n + 1}`,
        name: `${pick(rnd, FIRST)} ${pick(rnd, LAST)}`,
        locationId,
        tz: tzOf(locationId),
        activity: activity(),
      });
    }
    out.push({
      agencyId,
      name: demoNames[agencyId] ?? AGENCY_NAMES[(i - demoAgencies.length) % AGENCY_NAMES.length] ?? agencyId,
      locations,
      users,
    });
  }
  return out;
}
