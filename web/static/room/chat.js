// The room view's chat log: messages, their "sending…" stand-ins, deletions, notes and errors.
import { flaggedNote } from "./details.js";
import { el, isolated } from "./dom.js";
import { format } from "./text.js";

export const MAX_TEXT = 2000;

/** Methods of RoomView (view.js mixes them in): they read and write its state through `this`. */
export class RoomChat {
  messageItem(frame, { actions = true, pending = false } = {}) {
    const { S } = this;
    const own = this.isMine(frame.peer);
    const classes = ["msg"];
    if (own) classes.push("own");
    if (frame.role && frame.role !== "parent") classes.push("staff");
    if (pending) classes.push("pending");
    const li = el("li", { class: classes.join(" "), "data-seq": frame.seq });
    li.append(
      el("p", { class: "msg-head" },
        el("span", { class: "msg-name", text: frame.name || S.someone }),
        own ? el("span", { class: "msg-you", text: S.you }) : null,
        this.badge(frame.role),
        this.timeElement(frame.at)),
      el("p", { class: "msg-text", text: frame.text }),
    );
    if (pending) li.append(el("p", { class: "msg-state", text: S.sending }));
    // Sent after the room asked about identifying details: only moderators are told so.
    if (Array.isArray(frame.flagged) && frame.flagged.length) {
      li.classList.add("flagged");
      li.append(el("p", { class: "msg-flagged", text: flaggedNote(frame.flagged, S, document.documentElement.lang) }));
    }
    if (actions && !pending) {
      const name = frame.name || S.someone;
      li.append(el("div", { class: "msg-actions" },
        own ? null : this.button("report", S.report, { seq: frame.seq }, "quiet nonmod-only", name),
        this.button("delete", S.delete, { seq: frame.seq }, "quiet danger mod-only", name)));
    }
    return li;
  }

  message(frame, replay) {
    if (!Number.isInteger(frame.seq) || this.messages.has(frame.seq)) return;
    const li = this.messageItem(frame);
    this.messages.set(frame.seq, { peer: frame.peer, name: frame.name, text: frame.text, li });
    const own = this.isMine(frame.peer);
    this.settlePending(frame.cid, frame.seq);
    this.append(this.ui.log, li, own);
    if (!replay && !own) this.announce(format(this.S.new_message, { name: frame.name || this.S.someone, text: frame.text }));
  }

  /** Takes away the "sending…" stand-in of a message that has now arrived (by cid, or by the
   * seq an ack gave it). */
  settlePending(cid, seq) {
    for (const [key, entry] of this.pending) {
      if (key === cid || (seq !== undefined && entry.seq === seq)) {
        this.pending.delete(key);
        entry.li.remove();
      }
    }
  }

  acked(cid, seq) {
    // A duplicate send: the message itself was delivered (or will be) under its own seq.
    const entry = this.pending.get(cid);
    if (!entry) return;
    if (this.messages.has(seq) || this.questions.has(seq)) this.settlePending(cid);
    else entry.seq = seq; // its message comes later (or came before this page knew the cid)
  }

  sendChat() {
    const { ui } = this;
    const text = ui.text.value.trim();
    if (!text || !this.you) return;
    if (this.mutedUntil > Date.now()) return this.renderComposer();
    if (text.length > MAX_TEXT) return this.error({ code: "too_long" });
    const cid = this.conn.sendReliable("send", { text });
    if (!cid) return this.error({ code: "too_long" });
    const li = this.messageItem({ peer: this.you.peer, name: this.you.name, role: this.you.role, text }, { pending: true });
    this.pending.set(cid, { li, kind: "send", text });
    this.append(ui.log, li, true);
    ui.text.value = "";
    ui.text.focus();
  }

  deleted(seq) {
    const { S, ui } = this;
    const note = el("li", { class: "msg deleted", "data-seq": seq, tabindex: "-1" },
      el("p", { text: S.message_deleted }));
    const entry = this.messages.get(seq);
    if (entry) {
      const hadFocus = entry.li.contains(document.activeElement);
      entry.li.replaceWith(note);
      entry.li = note;
      entry.text = "";
      if (hadFocus) note.focus();
    } else {
      // A replay puts the deletion where the message was.
      this.messages.set(seq, { peer: null, name: "", text: "", li: note });
      this.append(ui.log, note);
    }
    // Reports about it are settled: the quote and the delete button go.
    for (const report of ui.reports.querySelectorAll(`li[data-message="${Number(seq)}"]`)) {
      report.querySelector("blockquote")?.remove();
      const button = report.querySelector('button[data-act="delete"]');
      if (button) {
        const hadFocus = button === document.activeElement;
        button.replaceWith(el("span", { class: "msg-state", text: S.message_deleted }));
        if (hadFocus) report.querySelector('button[data-act="dismiss"]')?.focus();
      }
    }
    const question = this.questions.get(seq);
    if (question) {
      question.status = "deleted";
      this.updateQuestion(question);
    }
  }

  note(template, params, replay) {
    this.append(this.ui.log, el("li", { class: "note" }, el("p", {}, ...isolated(template, params))));
    if (!replay) this.announce(format(template, params));
  }

  error(frame) {
    // Errors that answer video frames are the media module's to show (main.js sets `quiet`).
    if (this.quiet?.(frame)) return;
    const { S } = this;
    let text = S[`err_${frame.code}`] || frame.message || S.err_unknown;
    const wait = Number(frame.retry_after);
    if (wait > 0) text += ` ${format(S.retry_after, { seconds: Math.ceil(wait) })}`;
    if (this.failedSend) text += ` ${S.not_sent}`;
    this.failedSend = false;
    if (frame.code === "muted" && wait > 0) this.setMuted(Date.now() + wait * 1000);
    this.notify(text);
    this.syncControls();
  }
}
