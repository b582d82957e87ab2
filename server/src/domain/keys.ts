/**
 * Composite keys and room names are built from ids that come from tokens and browsers, and
 * ids may contain any character. Each part is escaped (`:` and `%` become `%3A` and `%25`,
 * non-ASCII is percent-encoded) before the parts are joined with `:`, so agency "a" + user "b:c"
 * and agency "a:b" + user "c" can never produce the same key. Plain ids stay readable.
 */

/** The characters `encodeURIComponent` leaves as they are. */
const PLAIN = /^[\w.!~*'()-]*$/;

/**
 * `encodeURIComponent`, without its new string for an id that needs no escaping (nearly all of
 * them): keys are built on every tracked event.
 */
export const keyPart = (id: string): string => (PLAIN.test(id) ? id : encodeURIComponent(id));

/** Joins escaped parts with `:`; the same on every instance, so stored keys agree. */
export function compositeKey(a: string, b?: string, c?: string): string {
  if (b === undefined) return keyPart(a);
  const ab = `${keyPart(a)}:${keyPart(b)}`;
  return c === undefined ? ab : `${ab}:${keyPart(c)}`;
}
