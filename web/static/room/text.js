// Sentences with "%(name)s" placeholders filled: pure, so node --test can check them.

/** A template cut at its "%(name)s" placeholders: strings, and `{ value }` where one is filled
 * (unknown placeholders stay as text). */
export function fill(template, params = {}) {
  const source = String(template ?? "");
  const parts = [];
  let from = 0;
  for (const match of source.matchAll(/%\((\w+)\)s/g)) {
    if (!(match[1] in params)) continue;
    if (match.index > from) parts.push(source.slice(from, match.index));
    parts.push({ value: String(params[match[1]]) });
    from = match.index + match[0].length;
  }
  if (from < source.length) parts.push(source.slice(from));
  return parts;
}

/** Fills "%(name)s" placeholders; unknown ones stay as they are. */
export function format(template, params = {}) {
  return fill(template, params).map((part) => (typeof part === "string" ? part : part.value)).join("");
}
