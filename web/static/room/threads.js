// The room view's private threads between a facilitator and one participant.
import { MAX_TEXT } from "./chat.js";
import { el, isolated } from "./dom.js";
import { format } from "./text.js";

/** Methods of RoomView (view.js mixes them in): they read and write its state through `this`. */
export class RoomThreads {
  thread(peer, name) {
    const { S, ui } = this;
    const existing = this.threads.get(peer);
    if (existing) return existing;
    const id = `thread-${++this.threadCount}`;
    const title = format(S.private_with, { name });
    const unread = el("span", { class: "badge new", hidden: true, text: S.new_badge });
    const textarea = el("textarea", { id: `${id}-text`, rows: "2", maxlength: MAX_TEXT, required: true, autocomplete: "off" });
    const log = el("ol", { class: "chat-log thread-log", tabindex: "0", "aria-label": title });
    const form = el("form", { class: "composer", method: "post" },
      el("label", { for: `${id}-text` }, ...isolated(S.private_label, { name })),
      textarea,
      el("div", { class: "composer-row" }, el("button", { type: "submit", class: "send", text: S.send })));
    const details = el("details", { class: "thread", open: true },
      el("summary", {}, el("span", {}, ...isolated(S.private_with, { name })), " ", unread),
      el("p", { class: "hint" }, ...isolated(S.private_note, { name })),
      log, form);
    const thread = { peer, name, details, log, textarea, unread };
    this.composer(form, textarea, () => this.sendPrivate(thread));
    const seen = () => { unread.hidden = true; };
    details.addEventListener("toggle", () => details.open && seen());
    details.addEventListener("focusin", seen);
    this.threads.set(peer, thread);
    ui.threadList.append(details);
    ui.threads.hidden = false;
    this.renderComposer();
    return thread;
  }

  privateMessage(frame, replay) {
    if (!Number.isInteger(frame.seq) || this.messages.has(frame.seq)) return;
    const mine = this.isMine(frame.peer);
    const other = mine ? frame.to : frame.peer;
    const thread = this.thread(other, mine ? this.nameOf(other) : frame.name);
    const li = this.messageItem(frame, { actions: false });
    this.messages.set(frame.seq, { peer: frame.peer, name: frame.name, text: frame.text, li });
    this.settlePending(frame.cid, frame.seq);
    this.append(thread.log, li, mine);
    if (!mine && !replay) {
      if (!thread.details.open || !thread.details.contains(document.activeElement)) thread.unread.hidden = false;
      this.announce(format(this.S.new_private, { name: frame.name, text: frame.text }));
    }
  }

  sendPrivate(thread) {
    const text = thread.textarea.value.trim();
    if (!text || !this.you) return;
    if (text.length > MAX_TEXT) return this.error({ code: "too_long" });
    const cid = this.conn.sendReliable("private", { to: thread.peer, text });
    if (!cid) return this.error({ code: "too_long" });
    const li = this.messageItem({ peer: this.you.peer, name: this.you.name, role: this.you.role, text }, { pending: true });
    this.pending.set(cid, { li, kind: "private", text, thread });
    this.append(thread.log, li, true);
    thread.textarea.value = "";
    thread.textarea.focus();
  }
}
