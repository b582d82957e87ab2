type HistoryMethod = 'pushState' | 'replaceState';

/**
 * Calls `onChange` after `history.pushState` and `replaceState`, which fire no event. Returns a
 * function that puts the originals back (unless another script has wrapped them since).
 */
export function hookHistory(onChange: () => void): () => void {
  const undo = (['pushState', 'replaceState'] as HistoryMethod[]).map((name) => {
    const original = history[name];
    const wrapper = function (this: History, ...args: Parameters<History[HistoryMethod]>) {
      const result = original.apply(this, args);
      onChange();
      return result;
    };
    history[name] = wrapper;
    return () => {
      if (history[name] === wrapper) history[name] = original;
    };
  });
  return () => undo.forEach((f) => f());
}
