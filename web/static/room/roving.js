// The chat log as one tab stop (issue 15): a long chat must not put a "Report" or "Delete"
// button per message between the keyboard and the message box.
//
// As chat apps do for keyboard users (Element's timeline and its message toolbars, the WAI-ARIA
// roving tabindex): one message of the log is "current" and is the log's only tab stop; the arrow
// keys (and Home, End, Page Up, Page Down) move between messages; Tab goes on from the current
// message to its own buttons, then to the message box. Other messages' buttons stay in the page
// with tabindex -1: a screen reader in browse mode reads and presses them where they are, and a
// mouse or a finger too. Until someone moves inside the log, the newest message is the current
// one, so that Tab into the log lands where the conversation is.

const PAGE = 5;
const CONTROLS = "button, a[href], summary, textarea, input, select";

/** The index `key` moves to from `index` in a list of `count` items, or null when the key does
 * not move (or there is nothing to move to). From no current item (-1) every key but Home goes to
 * the newest, the last. */
export function step(key, index, count) {
  if (count <= 0) return null;
  const last = count - 1;
  const moves = { ArrowUp: -1, ArrowDown: 1, PageUp: -PAGE, PageDown: PAGE, Home: -count, End: count };
  if (!(key in moves)) return null;
  if (index < 0 || index > last) return key === "Home" ? 0 : last;
  return Math.min(Math.max(index + moves[key], 0), last);
}

/** Keeps one child of `list` its tab stop, moved by the keys `step` knows. `hint` is the id of
 * the words explaining the keys: the current item is described by them when Tab reaches it. */
export class RovingList {
  constructor(list, hint = null) {
    this.list = list;
    this.hint = hint;
    this.current = null;
    list.addEventListener("keydown", (event) => this.onKey(event));
    list.addEventListener("focusin", (event) => this.onFocus(event));
    list.addEventListener("focusout", (event) => {
      if (!list.contains(event.relatedTarget)) this.describe(true);
    });
    new MutationObserver((records) => this.onChange(records)).observe(list, { childList: true });
    for (const item of list.children) this.mark(item, false);
    this.followNewest();
  }

  /** The child of the list that `node` is in, or null. */
  itemOf(node) {
    let item = node;
    while (item && item.parentElement !== this.list) item = item.parentElement;
    return item || null;
  }

  onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const item = this.itemOf(event.target);
    if (!item || (event.target !== item && event.target.matches("textarea, input, select"))) return;
    const items = [...this.list.children];
    const next = step(event.key, items.indexOf(item), items.length);
    if (next === null) return;
    event.preventDefault();
    this.describe(false);
    this.choose(items[next]);
    items[next].focus();
  }

  onFocus(event) {
    const item = this.itemOf(event.target);
    if (item && item !== this.current) this.choose(item);
  }

  onChange(records) {
    for (const record of records) {
      for (const node of record.addedNodes) if (node.nodeType === 1 && node !== this.current) this.mark(node, false);
    }
    const reading = this.list.contains(document.activeElement);
    if (!reading || !this.current || this.current.parentElement !== this.list) this.followNewest();
  }

  /** The newest item becomes the tab stop (the log's end is where the conversation is). */
  followNewest() {
    const newest = this.list.lastElementChild;
    if (newest) this.choose(newest);
    else this.current = null;
    // An empty log is itself the tab stop, so that its region can still be reached and scrolled.
    this.list.tabIndex = newest ? -1 : 0;
    this.describe(true);
  }

  choose(item) {
    if (this.current && this.current !== item) this.mark(this.current, false);
    this.current = item;
    this.mark(item, true);
  }

  mark(item, current) {
    item.tabIndex = current ? 0 : -1;
    for (const control of item.querySelectorAll(CONTROLS)) control.tabIndex = current ? 0 : -1;
    if (!current) item.removeAttribute("aria-describedby");
  }

  /** Only the way in is described: moving with the arrows reads just the messages. */
  describe(on) {
    if (!this.hint || !this.current) return;
    if (on) this.current.setAttribute("aria-describedby", this.hint);
    else this.current.removeAttribute("aria-describedby");
  }
}
