import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../domain/app-error.ts';
import type { Claims } from '../domain/identity.ts';
import type { TokenService } from '../identity/hub-tokens.ts';

/**
 * Query parameters that look like a credential. Tokens in URLs end up in access logs, proxy
 * logs, browser history and Referer headers, so such a request is refused outright, even when
 * a proper Authorization header is present too: the caller must fix the leak.
 */
const TOKEN_PARAMS = new Set(['token', 'access_token', 'jwt', 'auth']);
const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-_.~+/]+=*)[ \t]*$/i;

/** Throws `token_in_query` when the URL carries a token-looking parameter. */
export function assertNoTokenInQuery(req: Request): void {
  const q = req.originalUrl.indexOf('?');
  if (q < 0) return;
  for (const key of new URLSearchParams(req.originalUrl.slice(q + 1)).keys()) {
    if (TOKEN_PARAMS.has(key.toLowerCase())) {
      throw new AppError('token_in_query', 'Tokens must not travel in the URL; send Authorization: Bearer <token>');
    }
  }
}

/** The bearer token of a request, from the Authorization header only. */
export function bearerToken(req: Request): string {
  assertNoTokenInQuery(req);
  const header = req.headers.authorization;
  if (!header) throw new AppError('token_missing', 'Missing Authorization: Bearer <token> header');
  const m = BEARER.exec(header);
  if (!m?.[1]) throw new AppError('token_missing', 'Authorization header must use the Bearer scheme');
  return m[1];
}

/**
 * Middleware that requires a valid hub token and puts its claims on `res.locals.claims`.
 * Errors (`token_missing`, `token_invalid`, `token_expired`, `token_in_query`) go to `next`.
 */
export function requireAuth(tokens: Pick<TokenService, 'verify'>): RequestHandler {
  return async (req, res, next) => {
    const claims = await tokens.verify(bearerToken(req));
    res.locals.claims = claims;
    next();
  };
}

/** The verified claims of a request that went through requireAuth; `unauthorized` otherwise. */
export function claimsOf(res: Response): Claims {
  const claims: unknown = res.locals.claims;
  if (!claims || typeof claims !== 'object') throw new AppError('unauthorized', 'Authentication required');
  return claims as Claims;
}
