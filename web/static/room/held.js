// Messages held for a moderator's approval (issue 21, point 2). A series may hold a chat message
// that a parent sends anyway after the room asked about identifying details: the server sends it
// only to moderators and its author ("held"), then posts it to everyone when a moderator approves
// it ("held_approved", drawn by the room view as a message) or tells the author it was rejected
// ("held_rejected", no text). Nobody else ever receives any of it.
//
// The pure part (which held messages wait, and the words for each) is tested under node;
// `RoomHeld` draws them in the chat log and sends a moderator's decision.
import { el, format } from "./view.js";
import { flaggedNote } from "./details.js";

/** The held messages waiting after `frame`: seq → the held frame. The map given is not changed. */
export function heldAfter(held, frame) {
  if (!frame || typeof frame.type !== "string") return held;
  if (frame.type === "held") {
    if (!Number.isInteger(frame.seq) || typeof frame.text !== "string" || frame.deleted) return held;
    return new Map(held).set(frame.seq, frame);
  }
  if ((frame.type === "held_approved" || frame.type === "held_rejected") && held.has(frame.held)) {
    const next = new Map(held);
    next.delete(frame.held);
    return next;
  }
  return held;
}

/** What is said under a held message: to its author that it waits, to a moderator why it is held. */
export function heldNote(frame, mine, S, lang) {
  if (mine) return S.held_waiting;
  const why = Array.isArray(frame.flagged) && frame.flagged.length ? ` ${flaggedNote(frame.flagged, S, lang)}` : "";
  return `${S.held_for_approval}${why}`;
}

/** Draws held messages in the chat log and sends a moderator's approval or rejection. */
export class RoomHeld {
  constructor(strings, connection, view) {
    this.S = strings;
    this.conn = connection;
    this.view = view;
    this.held = new Map();
    this.items = new Map(); // seq → li in the chat log
    connection.addEventListener("frame", (event) => this.onFrame(event.detail));
  }

  onFrame(frame) {
    if (frame?.type === "welcome" || frame?.type === "replay") {
      for (const event of frame.events || []) this.onEvent(event, true);
    } else if (frame?.type === "ack" && this.items.has(frame.seq)) {
      this.view.settlePending(frame.cid); // the ack came after the held message itself
    } else if (frame) {
      this.onEvent(frame, false);
    }
  }

  onEvent(frame, replay) {
    const before = this.held;
    this.held = heldAfter(this.held, frame);
    if (frame.type === "held" && this.held !== before) this.add(frame);
    else if (frame.type === "held_approved" || frame.type === "held_rejected") this.settle(frame, replay);
  }

  add(frame) {
    const { S, view } = this;
    const mine = view.isMine(frame.peer);
    if (mine) view.settlePending(undefined, frame.seq); // its "Sending…" stand-in goes
    const li = view.messageItem({ ...frame, flagged: undefined }, { actions: false });
    li.classList.add("held");
    li.append(el("p", { class: "msg-state", text: heldNote(frame, mine, S, document.documentElement.lang) }));
    if (view.you?.moderator && !mine) {
      const name = frame.name || S.someone;
      li.append(el("div", { class: "msg-actions" },
        this.decision(frame.seq, true, S.held_approve, name),
        this.decision(frame.seq, false, S.held_reject, name)));
    }
    this.items.set(frame.seq, li);
    view.append(view.ui.log, li, mine);
    if (view.you?.moderator && !mine) view.announce(format(S.held_announce, { name: frame.name || S.someone }));
  }

  decision(seq, approve, label, name) {
    const button = el("button", { type: "button", class: approve ? "quiet" : "quiet danger" }, label,
      el("span", { class: "visually-hidden", text: ` – ${name}` }));
    button.addEventListener("click", () => {
      if (!this.conn.send({ type: "held", message: seq, approve })) this.view.notify(this.S.not_connected);
    });
    return button;
  }

  settle(frame, replay) {
    const { S, view } = this;
    const li = this.items.get(frame.held);
    this.items.delete(frame.held);
    const mine = view.isMine(frame.peer);
    if (frame.type === "held_rejected" && mine) {
      // The author is told, in the log where the message was (or at its end, entering again).
      const note = el("li", { class: "msg deleted", tabindex: "-1" }, el("p", { text: S.held_rejected }));
      if (li) li.replaceWith(note);
      else view.append(view.ui.log, note);
      if (!replay) view.notify(S.held_rejected);
      return;
    }
    // Approved: the room view draws it as a message of its author; rejected: gone for moderators.
    view.removeKeepingFocus(li, view.ui.text);
  }
}
