// Copying a part's methods onto a class, so that one object's behaviour can live in modules by concern.

/** Copies the methods (and getters) of each part's class onto target's prototype: same names,
 * same `this`. A name defined twice is an error, so no part silently replaces another's. */
export function mixIn(target, ...parts) {
  for (const part of parts) {
    for (const name of Object.getOwnPropertyNames(part.prototype)) {
      if (name === "constructor") continue;
      if (name in target.prototype) throw new Error(`${target.name}.${name} twice`);
      Object.defineProperty(target.prototype, name, Object.getOwnPropertyDescriptor(part.prototype, name));
    }
  }
}
