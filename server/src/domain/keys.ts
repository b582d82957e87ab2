/**
 * Composite keys and room names are built from ids that come from tokens and browsers, and
 * ids may contain any character. Each part is escaped (`:` and `%` become `%3A` and `%25`,
 * non-ASCII is percent-encoded) before the parts are joined with `:`, so agency "a" + user "b:c"
 * and agency "a:b" + user "c" can never produce the same key. Plain ids stay readable.
 */
export const keyPart = (id: string): string => encodeURIComponent(id);

/** Joins escaped parts with `:`; the same on every instance, so stored keys agree. */
export const compositeKey = (...parts: string[]): string => parts.map(keyPart).join(':');
