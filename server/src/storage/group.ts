/** Adds `value` to the list under `key` (in place: a spread per add is quadratic in the group's size). */
export function appendTo<K, V>(groups: Map<K, V[]>, key: K, value: V): void {
  const list = groups.get(key);
  if (list) list.push(value);
  else groups.set(key, [value]);
}
