// What the room media's modules share: the key of one's own tile and a guard for callbacks.

export const ME = "me";

/** `fn` wrapped so that neither a throw nor a rejected promise escapes (media never breaks the chat). */
export function quietly(fn) {
  return (...args) => {
    try {
      const result = fn(...args);
      if (result && typeof result.catch === "function") result.catch(() => {});
      return result;
    } catch {
      return undefined;
    }
  };
}
