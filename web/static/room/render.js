// The room view's drawing from its state: status line, settings, counts, composer and role classes.
import { el } from "./dom.js";
import { format } from "./text.js";
import { earlier } from "./visited.js";
import { watchingTemplate } from "./watching.js";

const FACILITATOR_ROLES = new Set(["facilitator", "coordinator"]);

/** What the status line says (pure): `state` is the view's {connState, closeCode, phase, room,
 * startsAt, opensAt, isStaff, lobbyPosition}, `S` the strings and `when` formats a time. Gives
 * the text, its tone ("info", "final", or "none" when there is no text) and which of the retry,
 * back and open buttons show. */
export function statusLine(state, S, when) {
  let text = "";
  let tone = "info";
  let retry = false;
  let back = false;
  let open = false;
  if (state.connState === "final") {
    text = S[`close_${state.closeCode}`] || S.err_unknown;
    tone = "final";
    back = true;
  } else if (state.connState === "reconnecting") {
    text = state.closeCode === 4029 ? S.close_4029 : state.closeCode === 4009 ? S.close_4009 : S.reconnecting;
    retry = true;
  } else if (state.connState !== "open") {
    text = S.connecting;
  } else if (state.phase === "waiting") {
    const parts = [S.waiting_room];
    if (state.startsAt) parts.push(format(S.starts_at, { time: when(state.startsAt) }));
    if (state.isStaff && state.opensAt) parts.push(format(S.staff_opens_at, { time: when(state.opensAt) }));
    text = parts.join(" ");
  } else if (state.phase === "lobby") {
    text = S.lobby_wait;
    if (state.lobbyPosition) text += ` ${format(S.lobby_position, { position: state.lobbyPosition })}`;
  } else if (state.phase === "in") {
    if (state.room.status === "ended") {
      text = S.ended;
      tone = "final";
      back = true;
    } else if (state.room.status === "waiting") {
      text = state.isStaff ? S.not_open_staff : S.waiting_room;
      open = true;
    }
  } else {
    text = S.connecting;
  }
  return { text, tone: text ? tone : "none", retry, back, open };
}

/** Methods of RoomView (view.js mixes them in): they read and write its state through `this`. */
export class RoomRender {
  render() {
    this.renderStatus();
    this.renderRoom();
    this.renderCounts();
    this.renderComposer();
  }

  renderStatus() {
    const { S, ui, room } = this;
    const { text, tone, retry, back, open } = statusLine(this, S, (value) => this.when(value));
    if (ui.statusText.textContent !== text) ui.statusText.textContent = text;
    ui.status.dataset.tone = tone;
    ui.retry.hidden = !retry;
    ui.back.hidden = !back;
    if (ui.feedback) {
      const ended = (this.connState === "final" && this.closeCode === 4011) || room.status === "ended";
      ui.feedback.hidden = !ended;
    }
    // Opened: the button goes, and the keyboard goes on from the message box, not the page top.
    const opened = !open && document.activeElement === ui.open;
    ui.open.hidden = !open;
    if (opened) ui.text.focus();
  }

  renderRoom() {
    const { S, ui, room } = this;
    ui.qa.hidden = this.phase !== "in" || room.mode !== "stage";
    ui.qaInfo.hidden = !room.questions_premoderated;
    ui.qaInfo.textContent = S.premoderated;
    const info = [];
    if (room.locked) info.push(S.locked_info);
    if (room.slow_mode > 0) info.push(format(S.slow_mode_info, { seconds: room.slow_mode }));
    ui.info.textContent = info.join(" ");
    ui.info.hidden = info.length === 0;
    this.syncControls();
  }

  syncControls() {
    const { ui, room } = this;
    ui.lock.checked = Boolean(room.locked);
    ui.lobbyToggle.checked = Boolean(room.lobby);
    ui.volunteers.checked = Boolean(room.volunteers_moderate);
    const seconds = String(Number(room.slow_mode) || 0);
    if (![...ui.slow.options].some((option) => option.value === seconds)) {
      ui.slow.append(el("option", { value: seconds, text: format(this.S.slow_mode_info, { seconds }) }));
    }
    ui.slow.value = seconds;
  }

  renderCounts() {
    const { ui, S } = this;
    const online = [...this.members.values()].filter((m) => m.online).length;
    ui.memberCount.textContent = this.members.size ? `(${online})` : "";
    if (ui.watching) {
      const template = watchingTemplate(S, document.documentElement.lang || "fi", this.watching);
      ui.watching.hidden = !template;
      ui.watching.textContent = template ? format(template, { count: this.watching }) : "";
    }
    const waiting = this.lobby.size;
    ui.lobbyCount.textContent = waiting ? `(${waiting})` : "";
    ui.lobbyEmpty.hidden = waiting > 0;
    ui.admitAll.hidden = waiting === 0;
    if (ui.lobbyJump) {
      ui.lobbyJump.hidden = waiting === 0;
      ui.lobbyJump.textContent = format(S.lobby_jump, { count: waiting });
    }
    ui.reportsEmpty.hidden = ui.reports.children.length > 0;
    this.renderEarlier();
  }

  /** "Earlier in this session": visited parents not online in the room now, each with a ban
   * button. Items are kept by peer so that focus stays where it was. */
  renderEarlier() {
    const { S, ui } = this;
    if (!ui.earlier) return;
    const present = [...this.members.values()].filter((m) => m.online).map((m) => m.peer);
    const people = earlier(this.visited, present);
    const wanted = new Set(people.map((person) => person.peer));
    for (const [peer, li] of this.earlierItems) {
      if (wanted.has(peer)) continue;
      this.earlierItems.delete(peer);
      this.removeKeepingFocus(li, ui.earlierTitle);
    }
    const order = people.map((person) => {
      let li = this.earlierItems.get(person.peer);
      if (!li) {
        const name = person.name || S.someone;
        li = el("li", { class: "member", "data-peer": person.peer },
          el("bdi", { class: "member-name", text: name }),
          el("span", { class: "actions" },
            this.button("ban", S.ban, { peer: person.peer }, "quiet danger", name)));
        this.earlierItems.set(person.peer, li);
      }
      return li;
    });
    if (!order.every((li, i) => ui.earlier.children[i] === li)) {
      const focused = ui.earlier.contains(document.activeElement) ? document.activeElement : null;
      for (const li of order) ui.earlier.append(li);
      focused?.focus();
    }
    ui.earlierCount.textContent = people.length ? `(${people.length})` : "";
    ui.earlierEmpty.hidden = people.length > 0;
  }

  renderComposer() {
    const { ui, S } = this;
    const live = this.phase === "in" && this.connState !== "final" && this.room.status !== "ended";
    this.root.classList.toggle("is-closed", !live);
    for (const form of this.root.querySelectorAll("form")) {
      for (const control of form.elements) control.disabled = !live;
    }
    ui.hand.disabled = !live;
    if (ui.skip) ui.skip.hidden = !live || ui.grid.hidden;
    const mine = this.you && this.members.get(this.you.peer);
    const raised = Boolean(mine && mine.hand);
    ui.hand.textContent = raised ? S.hand_lower : S.hand_raise;
    ui.hand.classList.toggle("raised", raised);
    const muted = this.mutedUntil > Date.now();
    ui.form.querySelector("button[type=submit]").disabled = !live || muted;
    ui.chatState.hidden = !muted;
    ui.chatState.textContent = muted ? format(S.muted_you, { time: this.when(this.mutedUntil) }) : "";
  }

  applyRole() {
    const you = this.you || {};
    this.root.classList.toggle("is-mod", Boolean(you.moderator));
    this.root.classList.toggle("is-facilitator", FACILITATOR_ROLES.has(you.role));
  }

  setMuted(until) {
    clearTimeout(this.muteTimer);
    this.mutedUntil = until > Date.now() ? until : 0;
    if (this.mutedUntil) {
      const wait = Math.min(this.mutedUntil - Date.now() + 250, 2 ** 31 - 1);
      this.muteTimer = setTimeout(() => this.setMuted(0), wait);
    }
    this.renderComposer();
  }
}
