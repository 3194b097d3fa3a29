// The room view's moderation: mutes, removals, bans, setting changes and reports, as notes.
import { el, isolated } from "./dom.js";
import { format } from "./text.js";
import { visitedAfter } from "./visited.js";

/** The note a room setting's new value gives (pure): `key` is "locked", "slow_mode", "lobby" or
 * "volunteers_moderate", `S` the strings. */
export function settingNote(S, key, value) {
  const on = Boolean(value);
  switch (key) {
    case "locked": return on ? S.mod_locked : S.mod_unlocked;
    case "slow_mode": return Number(value) > 0 ? format(S.mod_slow_on, { seconds: Number(value) }) : S.mod_slow_off;
    case "lobby": return on ? S.mod_lobby_on : S.mod_lobby_off;
    default: return on ? S.mod_volunteers_on : S.mod_volunteers_off;
  }
}

/** Methods of RoomView (view.js mixes them in): they read and write its state through `this`. */
export class RoomModeration {
  moderation(frame, replay) {
    const { S } = this;
    const name = frame.name || (frame.peer ? this.nameOf(frame.peer) : "");
    this.visited = visitedAfter(this.visited, { ...frame, type: "moderation" });
    const on = Boolean(frame.value);
    let text = "";
    let params = {};
    switch (frame.action) {
      case "muted": {
        // No `until` lifts the mute. A replayed mute that has run out still says what happened.
        const until = frame.until ? Date.parse(frame.until) : 0;
        [text, params] = until ? [S.mod_muted, { name, time: this.when(until) }] : [S.mod_unmuted, { name }];
        if (this.isMine(frame.peer)) this.setMuted(until);
        break;
      }
      case "removed":
      case "banned":
        [text, params] = [frame.action === "removed" ? S.mod_removed : S.mod_banned, { name }];
        if (!replay) this.dropMember(frame.peer);
        break;
      case "locked":
      case "slow_mode":
      case "lobby":
      case "volunteers_moderate":
        // The welcome snapshot is newer than any replayed event: settings change only live.
        if (!replay) this.setRoom({ [frame.action]: frame.action === "slow_mode" ? Number(frame.value) || 0 : on });
        text = this.settingNote(frame.action, frame.value);
        break;
      default:
        return;
    }
    this.note(text, params, replay);
    this.render();
  }

  /** A `room` event: the room's settings and status. A note tells what changed. */
  roomChanged(frame, replay) {
    if (replay) return; // the welcome snapshot is newer
    const { type, seq, ...changes } = frame;
    const before = this.room;
    this.setRoom(changes);
    for (const key of ["locked", "slow_mode", "lobby", "volunteers_moderate"]) {
      if (key in changes && before[key] !== changes[key]) this.note(this.settingNote(key, changes[key]), {}, false);
    }
    this.render();
  }

  setRoom(changes) {
    this.room = { ...this.room, ...changes };
    if ("volunteers_moderate" in changes && this.you?.role === "volunteer") {
      this.you.moderator = Boolean(changes.volunteers_moderate);
      this.applyRole();
    }
  }

  settingNote(key, value) {
    return settingNote(this.S, key, value);
  }

  report(frame, replay) {
    const { S, ui } = this;
    const message = this.messages.get(frame.message);
    const who = { by: this.nameOf(frame.by), name: message?.name || S.someone };
    const text = format(S.report_entry, who);
    const li = el("li", { class: "report", "data-message": frame.message },
      el("p", {}, ...isolated(S.report_entry, who)),
      message?.text ? el("blockquote", { text: message.text.slice(0, 280) }) : null,
      frame.reason ? el("p", {}, ...isolated(S.report_reason, { reason: frame.reason })) : null,
      el("div", { class: "actions" },
        this.button("delete", S.delete_message, { seq: frame.message }, "quiet danger"),
        this.button("dismiss", S.dismiss)));
    ui.reports.append(li);
    this.renderCounts();
    if (!replay) this.announce(text);
  }
}
