import type { Request, RequestHandler, Response } from 'express';
import { requireUse, type Use } from '../domain/access.ts';
import { AppError } from '../domain/app-error.ts';
import { namesCredential, type Claims } from '../domain/identity.ts';
import type { TokenService } from '../identity/hub-tokens.ts';

const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-_.~+/]+=*)[ \t]*$/i;

/**
 * Refuses, with `token_in_query`, any request whose URL carries a token-looking parameter.
 * Mounted once in front of the whole API router, public routes included, so the bearer and
 * sign-in handlers behind it need not check again.
 */
export const rejectTokenInQuery: RequestHandler = (req, _res, next) => {
  const q = req.originalUrl.indexOf('?');
  if (q >= 0 && namesCredential(new URLSearchParams(req.originalUrl.slice(q + 1)).keys())) {
    throw new AppError('token_in_query', 'Tokens must not travel in the URL; send Authorization: Bearer <token>');
  }
  next();
};

/** The bearer token of a request, from the Authorization header only. */
export function bearerToken(req: Request): string {
  const header = req.headers.authorization;
  if (!header) throw new AppError('token_missing', 'Missing Authorization: Bearer <token> header');
  const m = BEARER.exec(header);
  if (!m?.[1]) throw new AppError('token_missing', 'Authorization header must use the Bearer scheme');
  return m[1];
}

/**
 * Middleware that requires a valid hub token and puts its claims on `res.locals.claims`.
 * Errors (`token_missing`, `token_invalid`, `token_expired`, and `token_scope` when the token's
 * scope does not cover `use`) go to `next`; tokens in the URL are refused before it, by
 * `rejectTokenInQuery`. Without `use`, any scope passes (token refresh).
 */
export function requireAuth(tokens: Pick<TokenService, 'verify'>, use?: Use): RequestHandler {
  return async (req, res, next) => {
    const claims = await tokens.verify(bearerToken(req));
    if (use) requireUse(claims, use);
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
