import { Router, type Request } from 'express';
import {
  authConfigSchema,
  authReplySchema,
  devLoginSchema,
  hubUserSchema,
  ssoBodySchema,
  type DevLogin,
  type HubUser,
} from '@activity-hub/protocol';
import type { Config } from '../../config.ts';
import { exchangeScope } from '../../domain/access.ts';
import { AppError } from '../../domain/app-error.ts';
import { userOf } from '../../domain/identity.ts';
import { decryptSsoPayload, mapSsoUser } from '../../identity/highlevel-sso.ts';
import type { TokenService } from '../../identity/hub-tokens.ts';
import type { UpstreamVerifier } from '../../identity/upstream-jwt.ts';
import { bearerToken, claimsOf, requireAuth } from '../require-auth.ts';
import { mountRoutes, routesOf } from '../route-def.ts';

export interface AuthRouteDeps {
  config: Config;
  tokens: TokenService;
  /** null when no upstream JWT method is configured. */
  upstream: UpstreamVerifier | null;
  demoUsers: DevLogin[];
}

/** The scope of a token minted for this request: its Origin decides, never its body. */
const scopeOf = (config: Config, req: Request) =>
  exchangeScope({
    origin: req.headers.origin,
    self: req.headers.host ? `${req.protocol}://${req.headers.host}` : undefined,
    publicOrigins: config.PUBLIC_ORIGINS,
    trackerOrigins: config.TRACKER_ORIGINS,
  });

const route = routesOf<AuthRouteDeps>();
const token = { description: 'A hub token', schema: authReplySchema };

/**
 * Sign-in endpoints, mounted at `/api/v1`. Each method ends in the same place: a short-lived
 * hub token (`AuthReply`). Errors are thrown as AppError for the central error handler; the
 * JSON body parser is mounted by the app.
 */
export const AUTH_ROUTES = [
  /** What the sign-in screen should offer. */
  route({
    method: 'get',
    path: '/auth/config',
    access: 'public',
    tag: 'auth',
    summary: 'Sign-in methods this hub offers',
    reply: { description: 'Sign-in options', schema: authConfigSchema },
    handler: ({ deps: { config, upstream, demoUsers } }) => ({
      devLogin: config.devLoginEnabled,
      highlevelSso: !!config.HIGHLEVEL_SSO_KEY,
      upstreamJwt: upstream !== null,
      demoUsers: config.devLoginEnabled ? demoUsers : [],
    }),
  }),
  /** Dev login: any identity, only while no SSO is configured and not in production. */
  route({
    method: 'post',
    path: '/auth/dev',
    access: 'public',
    tag: 'auth',
    summary: 'Dev login (only without SSO, never in production)',
    body: { schema: devLoginSchema, label: 'dev login' },
    reply: token,
    errors: [400, 404],
    handler: async ({ deps: { config, tokens }, req, body }) => {
      if (!config.devLoginEnabled) throw new AppError('dev_login_disabled', 'Dev login is disabled on this hub');
      const scope = scopeOf(config, req);
      const b = body();
      const user: HubUser = {
        userId: b.userId,
        name: b.name,
        email: b.email ?? '',
        role: b.role,
        agencyId: b.agencyId,
        locationId: b.locationId ?? null,
      };
      return tokens.issue(user, scope);
    },
  }),
  /** HighLevel SSO: the encrypted user context from the Custom Page or Custom JS. */
  route({
    method: 'post',
    path: '/auth/sso',
    access: 'public',
    tag: 'auth',
    summary: 'HighLevel SSO: exchange the encrypted user context',
    body: {
      schema: ssoBodySchema,
      label: 'SSO payload',
      // One code for every bad payload, so the client shows one clear message.
      invalid: () =>
        new AppError(
          'sso_payload_invalid',
          'Invalid SSO payload: expected a JSON body {"payload": "<encrypted string>"}',
        ),
    },
    reply: token,
    errors: [400, 404],
    handler: async ({ deps: { config, tokens }, req, body }) => {
      const key = config.HIGHLEVEL_SSO_KEY;
      if (!key) throw new AppError('sso_not_configured', 'HighLevel SSO is not configured on this hub');
      const scope = scopeOf(config, req);
      const user = mapSsoUser(decryptSsoPayload(body().payload, key));
      return tokens.issue(user, scope);
    },
  }),
  /** Upstream JWT: the platform's own identity token, exchanged for a hub token. */
  route({
    method: 'post',
    path: '/auth/token',
    access: 'upstream',
    tag: 'auth',
    summary: 'Exchange the platform’s own JWT (as Bearer) for a hub token',
    reply: token,
    errors: [401, 404],
    handler: async ({ deps: { config, tokens, upstream }, req }) => {
      if (!upstream) throw new AppError('sso_not_configured', 'Upstream JWT sign-in is not configured on this hub');
      const scope = scopeOf(config, req);
      const user = await upstream.verify(bearerToken(req));
      return tokens.issue(user, scope);
    },
  }),
  /**
   * Renews a still-valid hub token for the same identity and the same scope, whatever the
   * origin; an expired one must sign in again.
   */
  route({
    method: 'post',
    path: '/auth/refresh',
    access: 'any',
    tag: 'auth',
    summary: 'Renew a still-valid hub token, keeping its scope',
    description: 'Takes a token of either scope (`track` or `read`) and returns one of the same scope.',
    before: ({ tokens }) => [requireAuth(tokens)],
    reply: { description: 'A new hub token', schema: authReplySchema },
    errors: [401],
    handler: async ({ deps: { tokens }, res }) => {
      const claims = claimsOf(res);
      return tokens.issue(userOf(claims), claims.scope);
    },
  }),
  /** The caller's identity, from their token (a dashboard route: read scope). */
  route({
    method: 'get',
    path: '/me',
    tag: 'auth',
    summary: 'The caller’s identity',
    before: ({ tokens }) => [requireAuth(tokens, 'api')],
    reply: { description: 'The caller', schema: hubUserSchema },
    errors: [401],
    handler: ({ res }) => userOf(claimsOf(res)),
  }),
];

/** The sign-in routes on their own router. Replies carry tokens or identities: never cached. */
export function authRoutes(deps: AuthRouteDeps): Router {
  const router = Router();
  router.use(['/auth', '/me'], (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  return mountRoutes(router, AUTH_ROUTES, deps);
}
