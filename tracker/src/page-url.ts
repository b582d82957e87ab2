import { LIMITS } from '../../protocol/src/constants.ts';

/** Keeps the allowed query parameters of `search` ("?a=1&b=2"), returning "" or "?…". */
function filterQuery(search: string, allow: boolean | string[]): string {
  if (allow === true || !search) return search;
  const kept = new URLSearchParams();
  if (allow) new URLSearchParams(search).forEach((v, k) => allow.includes(k) && kept.append(k, v));
  const s = kept.toString();
  return s && '?' + s;
}

/**
 * The url and path a page view reports. Query strings can hold personal data, so only allowed
 * parameters stay. The hash stays only for hash-routed apps (`#/route`, whose own query is
 * filtered the same way); an in-page anchor (`#section`) is not a page.
 */
export function pageLocation(href: string, allow: boolean | string[]): { url: string; path: string } {
  const u = new URL(href);
  let hash = '';
  if (u.hash.startsWith('#/')) {
    const i = (u.hash + '?').indexOf('?');
    hash = u.hash.slice(0, i) + filterQuery(u.hash.slice(i), allow);
  }
  const path = u.pathname + filterQuery(u.search, allow) + hash;
  // origin + path also drops any user:password@ from the URL.
  return { url: (u.origin + path).slice(0, LIMITS.urlLength), path: path.slice(0, LIMITS.pathLength) };
}

/** A referrer, cleaned like page URLs; "" when there is none or it does not parse. */
export function cleanReferrer(ref: string, allow: boolean | string[]): string {
  try {
    return pageLocation(ref, allow).url;
  } catch {
    return '';
  }
}
