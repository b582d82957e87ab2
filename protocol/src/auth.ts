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

/** The identity a hub token carries, as clients see it. */
export const hubUserSchema = z.object({
  userId: z.string(),
  name: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  agencyId: z.string(),
  locationId: z.string().nullable(),
});
export type HubUser = z.infer<typeof hubUserSchema>;

/** Reply of every endpoint that issues a hub token. */
export const authReplySchema = z.object({
  token: z.string().describe('hub token (JWT), sent as Authorization: Bearer'),
  user: hubUserSchema,
  /** What the token may do; refresh keeps it. */
  scope: z.enum(TOKEN_SCOPES),
  expiresAt: z.number().int().describe('epoch milliseconds'),
});
export type AuthReply = z.infer<typeof authReplySchema>;

/** `GET /api/v1/auth/config`: what sign-in methods this hub offers. */
export const authConfigSchema = z.object({
  devLogin: z.boolean(),
  highlevelSso: z.boolean(),
  upstreamJwt: z.boolean(),
  /** Demo users for the dev-login picker (empty unless dev login is on). */
  demoUsers: z.array(devLoginSchema),
});
export type AuthConfig = z.infer<typeof authConfigSchema>;
