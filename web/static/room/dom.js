// Building the room's DOM from createElement and textContent only, so that text from other
// people can never become markup.
import { fill } from "./text.js";

/** The filled template as nodes, each value in a <bdi>: a name or text written right to left, or
 * holding direction controls, cannot reorder the sentence around it. */
export function isolated(template, params = {}) {
  return fill(template, params).map((part) => (typeof part === "string" ? part : el("bdi", { text: part.value })));
}

/** createElement with properties: text, class, hidden, on{event}, anything else an attribute. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key === "hidden") node.hidden = true;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

export function hiddenText(text) {
  return el("span", { class: "visually-hidden", text });
}
