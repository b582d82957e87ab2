import type { Socket } from 'socket.io';
import { AppError, toErrorBody } from '../domain/app-error.ts';
import { namesCredential, type Claims } from '../domain/identity.ts';
import type { SocketData } from './socket-types.ts';

export interface OriginPolicy {
  /** Allowed origins, or '*' for any. Same-origin is always allowed. */
  allowed: string[] | '*';
}

/** True when the handshake's Origin is the hub's own or on the allow-list. */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  forwardedProto: string | undefined,
  policy: OriginPolicy,
): boolean {
  // Non-browser clients send no Origin; they cannot ride a victim's browser, and carry their own token.
  if (!origin) return true;
  if (policy.allowed === '*') return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (
    host &&
    parsed.host === host &&
    (!forwardedProto || parsed.protocol === `${forwardedProto.split(',')[0]!.trim()}:`)
  )
    return true;
  return policy.allowed.includes(parsed.origin);
}

/** A socket.io connect error whose `data` carries our `{code,message}`. */
export function handshakeError(err: unknown): Error & { data: unknown } {
  const body = toErrorBody(err);
  return Object.assign(new Error(body.message), { data: body });
}

/**
 * Socket.io middleware: origin allow-list, then the token from `handshake.auth` only. A token
 * in the query string is refused, since URLs end up in logs and proxies.
 */
export function authenticate(
  verify: (token: string) => Promise<Claims>,
  policy: OriginPolicy,
): (socket: { readonly handshake: Socket['handshake']; data: SocketData }, next: (err?: Error) => void) => void {
  return (socket, next) => {
    const h = socket.handshake;
    const fail = (err: unknown) => next(handshakeError(err));
    const forwarded = h.headers['x-forwarded-proto'];
    if (
      !originAllowed(h.headers.origin, h.headers.host, typeof forwarded === 'string' ? forwarded : undefined, policy)
    ) {
      return fail(new AppError('origin_forbidden', 'This origin may not connect'));
    }
    if (namesCredential(Object.keys(h.query))) {
      return fail(new AppError('token_in_query', 'Send the token in the handshake auth, never in the URL'));
    }
    const token: unknown = h.auth?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 8_192) {
      return fail(new AppError('token_missing', 'A token is required in the handshake auth'));
    }
    verify(token).then((claims) => {
      socket.data.claims = claims;
      next();
    }, fail);
  };
}
