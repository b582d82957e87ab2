import type { DevLogin } from '@activity-hub/protocol';

/**
 * Sample identities for the dev-login picker and the /demo/ page: two agencies, each with an
 * agency user and a few location users, so scoping (agency sees all, location sees self) can
 * be tried by hand. Only offered while dev login is enabled.
 */
export const DEMO_USERS: DevLogin[] = [
  // Acme Marketing: two locations.
  {
    userId: 'u-acme-olivia',
    name: 'Olivia Hart',
    email: 'olivia.hart@acme-marketing.example',
    role: 'agency',
    agencyId: 'acme',
    locationId: null,
  },
  {
    userId: 'u-acme-liam',
    name: 'Liam Chen',
    email: 'liam.chen@acme-marketing.example',
    role: 'location',
    agencyId: 'acme',
    locationId: 'acme-north',
  },
  {
    userId: 'u-acme-sofia',
    name: 'Sofia Ramirez',
    email: 'sofia.ramirez@acme-marketing.example',
    role: 'location',
    agencyId: 'acme',
    locationId: 'acme-north',
  },
  {
    userId: 'u-acme-noah',
    name: 'Noah Williams',
    email: 'noah.williams@acme-marketing.example',
    role: 'location',
    agencyId: 'acme',
    locationId: 'acme-south',
  },
  // Globex Growth: one location.
  {
    userId: 'u-globex-priya',
    name: 'Priya Natarajan',
    email: 'priya.natarajan@globex-growth.example',
    role: 'agency',
    agencyId: 'globex',
    locationId: null,
  },
  {
    userId: 'u-globex-mateo',
    name: 'Mateo Rossi',
    email: 'mateo.rossi@globex-growth.example',
    role: 'location',
    agencyId: 'globex',
    locationId: 'globex-downtown',
  },
  {
    userId: 'u-globex-amara',
    name: 'Amara Okafor',
    email: 'amara.okafor@globex-growth.example',
    role: 'location',
    agencyId: 'globex',
    locationId: 'globex-downtown',
  },
];
