import { Router, type Request } from 'express';
import { devLoginSchema, ssoBodySchema, type AuthConfig, type DevLogin, type HubUser } from '@activity-hub/protocol';
import type { Config } from '../../config.ts';
import { exchangeScope } from '../../domain/access.ts';
import { AppError } from '../../domain/app-error.ts';
import { userOf } from '../../domain/identity.ts';
import { parseOrThrow } from '../../domain/validate.ts';
import { decryptSsoPayload, mapSsoUser } from '../../identity/highlevel-sso.ts';
import type { TokenService } from '../../identity/hub-tokens.ts';
import type { UpstreamVerifier } from '../../identity/upstream-jwt.ts';
import { bearerToken, claimsOf, requireAuth } from '../require-auth.ts';

export interface AuthRouteDeps {
  config: Config;
  tokens: TokenService;
  /** null when no upstream JWT method is configured. */
  upstream: UpstreamVerifier | null;
  demoUsers: DevLogin[];
}

/**
 * Sign-in endpoints, mounted at `/api/v1`. Each method ends in the same place: a short-lived
 * hub token (`AuthReply`). Errors are thrown as AppError for the central error handler; the
 * JSON body parser is mounted by the app.
 */
export function authRoutes(deps: AuthRouteDeps): Router {
  const { config, tokens, upstream, demoUsers } = deps;
  const router = Router();
  const anyScope = requireAuth(tokens);
  const reader = requireAuth(tokens, 'api');
  /** The scope of a token minted for this request: its Origin decides, never its body. */
  const scopeOf = (req: Request) =>
    exchangeScope({
      origin: req.headers.origin,
      self: req.headers.host ? `${req.protocol}://${req.headers.host}` : undefined,
      publicOrigins: config.PUBLIC_ORIGINS,
      trackerOrigins: config.TRACKER_ORIGINS,
    });

  // Replies carry tokens or identities: never let a proxy or the browser cache them.
  router.use(['/auth', '/me'], (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  /** What the sign-in screen should offer. */
  router.get('/auth/config', (_req, res) => {
    const reply: AuthConfig = {
      devLogin: config.devLoginEnabled,
      highlevelSso: !!config.HIGHLEVEL_SSO_KEY,
      upstreamJwt: upstream !== null,
      demoUsers: config.devLoginEnabled ? demoUsers : [],
    };
    res.json(reply);
  });

  /** Dev login: any identity, only while no SSO is configured and not in production. */
  router.post('/auth/dev', async (req, res) => {
    if (!config.devLoginEnabled) throw new AppError('dev_login_disabled', 'Dev login is disabled on this hub');
    const scope = scopeOf(req);
    const body = parseOrThrow(devLoginSchema, req.body, 'dev login');
    const user: HubUser = {
      userId: body.userId,
      name: body.name,
      email: body.email ?? '',
      role: body.role,
      agencyId: body.agencyId,
      locationId: body.locationId ?? null,
    };
    res.json(await tokens.issue(user, scope));
  });

  /** HighLevel SSO: the encrypted user context from the Custom Page or Custom JS. */
  router.post('/auth/sso', async (req, res) => {
    const key = config.HIGHLEVEL_SSO_KEY;
    if (!key) throw new AppError('sso_not_configured', 'HighLevel SSO is not configured on this hub');
    const scope = scopeOf(req);
    const body = ssoBodySchema.safeParse(req.body);
    // One code for every bad payload, so the client shows one clear message.
    if (!body.success)
      throw new AppError(
        'sso_payload_invalid',
        'Invalid SSO payload: expected a JSON body {"payload": "<encrypted string>"}',
      );
    const user = mapSsoUser(decryptSsoPayload(body.data.payload, key));
    res.json(await tokens.issue(user, scope));
  });

  /** Upstream JWT: the platform's own identity token, exchanged for a hub token. */
  router.post('/auth/token', async (req, res) => {
    if (!upstream) throw new AppError('sso_not_configured', 'Upstream JWT sign-in is not configured on this hub');
    const scope = scopeOf(req);
    const user = await upstream.verify(bearerToken(req));
    res.json(await tokens.issue(user, scope));
  });

  /**
   * Renews a still-valid hub token for the same identity and the same scope, whatever the
   * origin; an expired one must sign in again.
   */
  router.post('/auth/refresh', anyScope, async (_req, res) => {
    const claims = claimsOf(res);
    res.json(await tokens.issue(userOf(claims), claims.scope));
  });

  /** The caller's identity, from their token (a dashboard route: read scope). */
  router.get('/me', reader, (_req, res) => {
    res.json(userOf(claimsOf(res)));
  });

  return router;
}
