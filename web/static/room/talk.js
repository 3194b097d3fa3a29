// "I need to talk" (issue 21, point 3): a parent asks the facilitators privately for a word, and
// the moderators see who waits. Only moderators and that parent ever receive these events, so the
// page never tells other parents; the facilitator answers in the existing private conversation,
// which the server then marks as answered.
//
// The pure part (who waits, from a welcome and live events) is tested under node; `RoomTalk`
// only draws it and sends the parent's wish. Its buttons to write privately carry
// data-act="private", which the room view already handles by opening that 1:1 thread.
import { el, format } from "./view.js";

/** Parents waiting for a word, from a moderator's `welcome`: peer → {peer, name, at}. */
export function waitingFromWelcome(frame) {
  const waiting = new Map();
  for (const person of frame?.need_to_talk || []) remember(waiting, person);
  return waiting;
}

/** The map after a live `need_to_talk` event: pending adds the parent, anything else (withdrawn,
 * answered) takes them off. The map given is not changed. */
export function waitingAfter(waiting, frame) {
  if (!frame || frame.type !== "need_to_talk" || typeof frame.peer !== "string") return waiting;
  const next = new Map(waiting);
  if (frame.state === "pending") remember(next, frame);
  else next.delete(frame.peer);
  return next;
}

/** The waiting parents, the longest-waiting first. */
export function inOrder(waiting) {
  return [...waiting.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

function remember(waiting, person) {
  if (!person || typeof person.peer !== "string") return;
  waiting.set(person.peer, { peer: person.peer, name: String(person.name ?? ""), at: String(person.at ?? "") });
}

/** Draws the parent's button and the moderators' list, and sends the parent's wish. */
export class RoomTalk {
  constructor(strings, connection, view) {
    this.S = strings;
    this.conn = connection;
    this.view = view;
    this.waiting = new Map();
    this.items = new Map(); // peer → li in the moderators' list
    this.pending = false; // the parent's own wish
    this.isParent = false;
    const $ = (id) => document.getElementById(id);
    this.ui = {
      panel: $("talk"), ask: $("talk-ask"), told: $("talk-told"), withdraw: $("talk-withdraw"),
      waitingPanel: $("talk-waiting"), title: $("talk-waiting-title"), count: $("talk-count"),
      list: $("talk-list"), empty: $("talk-empty"), jump: $("talk-jump"), announcer: $("talk-announce"),
    };
    if (!this.ui.panel || !this.ui.waitingPanel) return;
    this.ui.ask.addEventListener("click", () => this.send(true));
    this.ui.withdraw.addEventListener("click", () => this.send(false));
    this.ui.jump?.addEventListener("click", (event) => {
      // To the list without a #fragment in the address bar or the tab's history.
      event.preventDefault();
      this.ui.title.focus();
    });
    connection.addEventListener("frame", (event) => this.onFrame(event.detail));
  }

  send(pending) {
    if (!this.conn.send({ type: "need_to_talk", pending })) this.view.notify(this.S.not_connected);
  }

  onFrame(frame) {
    if (frame?.type === "welcome") {
      // The welcome's lists are newer than any event it replays.
      this.isParent = frame.you?.role === "parent";
      this.pending = this.isParent && frame.you?.need_to_talk === true;
      this.waiting = waitingFromWelcome(frame);
      this.render(false);
    } else if (frame?.type === "need_to_talk") {
      const before = this.waiting;
      this.waiting = waitingAfter(this.waiting, frame);
      if (this.isParent && frame.peer === this.view.you?.peer) this.pending = frame.state === "pending";
      this.render(true);
      if (this.view.you?.moderator && frame.peer !== this.view.you?.peer) this.announce(frame, before);
    }
  }

  announce(frame, before) {
    const name = frame.name || this.S.someone;
    let text = "";
    if (frame.state === "pending" && !before.has(frame.peer)) text = format(this.S.talk_announce, { name });
    else if (frame.state === "withdrawn" && before.has(frame.peer)) text = format(this.S.talk_withdrawn, { name });
    if (!text) return;
    this.ui.announcer.textContent = "";
    setTimeout(() => { this.ui.announcer.textContent = text; }, 50);
  }

  render(live) {
    const { ui } = this;
    ui.panel.hidden = !this.isParent;
    const hadFocus = ui.panel.contains(document.activeElement);
    ui.ask.hidden = this.pending;
    ui.told.hidden = !this.pending;
    // The button pressed goes away: the keyboard goes on from the one that took its place.
    if (live && hadFocus) (this.pending ? ui.withdraw : ui.ask).focus();
    this.renderWaiting();
  }

  renderWaiting() {
    const { S, ui } = this;
    const people = inOrder(this.waiting);
    const wanted = new Set(people.map((person) => person.peer));
    for (const [peer, li] of this.items) {
      if (wanted.has(peer)) continue;
      this.items.delete(peer);
      this.view.removeKeepingFocus(li, ui.title);
    }
    for (const person of people) {
      if (this.items.has(person.peer)) continue;
      const name = person.name || S.someone;
      const li = el("li", { class: "member talk-person", "data-peer": person.peer },
        el("bdi", { class: "member-name", text: name }), " ",
        person.at ? el("time", { datetime: person.at, text: format(S.talk_asked_at, { time: this.view.when(person.at) }) }) : null,
        el("span", { class: "actions" },
          this.view.button("private", S.write_private, { peer: person.peer }, "facilitator-only", name)));
      this.items.set(person.peer, li);
      ui.list.append(li);
    }
    const count = people.length;
    ui.count.textContent = count ? `(${count})` : "";
    ui.empty.hidden = count > 0;
    ui.waitingPanel.classList.toggle("has-waiting", count > 0);
    if (ui.jump) {
      const wasHidden = ui.jump.hidden;
      ui.jump.hidden = count === 0;
      ui.jump.textContent = format(S.talk_jump, { count });
      if (wasHidden !== ui.jump.hidden) this.view.fit(); // the log makes room for the link
    }
  }
}
