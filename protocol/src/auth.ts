import { z } from 'zod';
import { LIMITS } from './constants.ts';

const id = z.string().trim().min(1).max(LIMITS.idLength);

export const ROLES = ['agency', 'location'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a hub token may do, decided by the hub from the exchange request's `Origin`, never by
 * the caller: `track` may only open `/track` and `POST /api/v1/collect`; `read` (a dashboard's
 * token) may also open `/live` and every REST route.
 */
export const TOKEN_SCOPES = ['track', 'read'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** The identity a hub token carries, as clients see it. */
export interface HubUser {
  userId: string;
  name: string;
  email: string;
  role: Role;
  agencyId: string;
  locationId: string | null;
}

/** Reply of every endpoint that issues a hub token. */
export interface AuthReply {
  token: string;
  user: HubUser;
  /** What the token may do; refresh keeps it. */
  scope: TokenScope;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** `POST /api/v1/auth/dev` body: the dev login, only when no SSO is configured. */
export const devLoginSchema = z
  .strictObject({
    userId: id,
    name: z.string().trim().min(1).max(LIMITS.nameLength),
    email: z.email().max(320).optional(),
    role: z.enum(ROLES),
    agencyId: id,
    locationId: id.nullable().optional(),
  })
  .refine((v) => v.role === 'agency' || !!v.locationId, {
    message: 'a location user needs a locationId',
    path: ['locationId'],
  });
export type DevLogin = z.infer<typeof devLoginSchema>;

/** `POST /api/v1/auth/sso` body: HighLevel's encrypted user context. */
export const ssoBodySchema = z.strictObject({ payload: z.string().min(16).max(16_384) });

/** `GET /api/v1/auth/config`: what sign-in methods this hub offers. */
export interface AuthConfig {
  devLogin: boolean;
  highlevelSso: boolean;
  upstreamJwt: boolean;
  /** Demo users for the dev-login picker (empty unless dev login is on). */
  demoUsers: DevLogin[];
}
