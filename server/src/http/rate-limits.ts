import { isIPv6 } from 'node:net';
import type { Request, RequestHandler } from 'express';
import { spendOrThrow, tokenKey, type RateLimiter } from '../domain/rate-limiter.ts';
import { bearerToken } from './require-auth.ts';

/**
 * The client address a per-IP budget is keyed on. Behind the proxy (`TRUST_PROXY`), the last
 * `X-Forwarded-For` entry: the one the proxy appended itself (nginx's
 * `$proxy_add_x_forwarded_for`); entries before it come from the client and could be anything.
 * IPv6 addresses count per /64, since one host commonly holds a whole /64.
 */
export function clientIp(req: Request, trustProxy: boolean): string {
  let ip = req.socket.remoteAddress ?? 'unknown';
  if (trustProxy) {
    const xff = req.headers['x-forwarded-for'];
    const last = (Array.isArray(xff) ? xff.join(',') : (xff ?? '')).split(',').pop()?.trim();
    if (last) ip = last;
  }
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  return isIPv6(ip) ? ipv6Prefix64(ip) : ip;
}

/** The first four groups of an IPv6 address, `::` expanded: `2001:db8:0:1::/64`. */
function ipv6Prefix64(ip: string): string {
  const [head = '', tail] = ip.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/**
 * Per-IP budget for `/api/v1/auth/*` (sign-in, SSO and JWT exchange, refresh), checked before
 * the body is read or anything is verified.
 */
export function limitSignIn(limiter: RateLimiter, trustProxy: boolean): RequestHandler {
  return (req, _res, next) => {
    spendOrThrow(limiter, 'signIn', clientIp(req, trustProxy), 'sign-in requests from this address');
    next();
  };
}

/** Per-token budget for the REST API; mounted after the token verified, so only real tokens get a key. */
export function limitPerToken(limiter: RateLimiter): RequestHandler {
  return (req, _res, next) => {
    spendOrThrow(limiter, 'rest', tokenKey(bearerToken(req)), 'requests with this token');
    next();
  };
}
