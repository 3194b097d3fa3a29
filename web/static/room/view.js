// The room as people see it: one RoomView holds the room's state and its DOM; its methods are
// grouped by concern in modules of their own (render, chat, members, lobby, moderation, threads,
// question_list) and mixed into its prototype here. Builds DOM with createElement/textContent
// only (never innerHTML), so text from other people can never become markup. All wording comes
// from the strings map the template renders through the translation layer.
import { RoomChat } from "./chat.js";
import { el, hiddenText } from "./dom.js";
import { fitLog } from "./fit.js";
import { RoomLobby } from "./lobby.js";
import { RoomMembers } from "./members.js";
import { mixIn } from "./mixin.js";
import { RoomModeration } from "./moderation.js";
import { RoomQuestions } from "./question_list.js";
import { RoomRender } from "./render.js";
import { RovingList } from "./roving.js";
import { format } from "./text.js";
import { RoomThreads } from "./threads.js";
import { visitedFromWelcome } from "./visited.js";

// Older modules (held.js, talk.js, media.js) and tests import these from here.
export { el } from "./dom.js";
export { fill, format } from "./text.js";

const ZONE = "Europe/Helsinki";
const MAX_REASON = 300;
const NOTICE_MS = 12000;

export class RoomView {
  constructor(root, strings, connection) {
    this.root = root;
    this.S = strings;
    this.conn = connection;
    const lang = document.documentElement.lang || "fi";
    this.clock = new Intl.DateTimeFormat(lang, { timeZone: ZONE, hour: "2-digit", minute: "2-digit" });
    this.day = new Intl.DateTimeFormat(lang, { timeZone: ZONE, weekday: "short", day: "numeric", month: "numeric" });
    this.isStaff = root.dataset.staff === "1";
    this.startsAt = root.dataset.startsAt || "";

    const $ = (id) => document.getElementById(id);
    this.ui = {
      status: $("room-status"), statusText: $("room-status-text"), retry: $("room-retry"),
      open: $("room-open"), back: $("room-back"), feedback: $("room-feedback"), notice: $("room-notice"), grid: $("room-grid"),
      info: $("room-info"), log: $("chat-log"), announcer: $("room-announce"), form: $("chat-form"),
      text: $("chat-text"), chatState: $("chat-state"), hand: $("hand-toggle"),
      qa: $("qa"), qaInfo: $("qa-info"), askForm: $("ask-form"), askText: $("ask-text"),
      questions: $("question-list"), threads: $("threads"), threadList: $("thread-list"),
      members: $("member-list"), memberCount: $("member-count"), membersTitle: $("members-title"),
      watching: $("watching-count"),
      lobbyTitle: $("lobby-title"), lobbyCount: $("lobby-count"), lobbyEmpty: $("lobby-empty"),
      lobby: $("lobby-list"), admitAll: $("admit-all"), lobbyJump: $("lobby-jump"),
      lock: $("set-lock"), slow: $("set-slow"), lobbyToggle: $("set-lobby"),
      volunteers: $("set-volunteers"), reportsTitle: $("reports-title"),
      reportsEmpty: $("reports-empty"), reports: $("report-list"), end: $("room-end"),
      earlierTitle: $("earlier-title"), earlierCount: $("earlier-count"),
      earlierEmpty: $("earlier-empty"), earlier: $("earlier-list"),
      skip: $("skip-composer"), qaTitle: $("qa-title"),
    };

    this.connState = "connecting";
    this.closeCode = null;
    this.phase = "connecting"; // connecting | waiting | lobby | in
    this.lobbyPosition = null;
    this.opensAt = null;
    this.you = null;
    this.room = {};
    this.members = new Map(); // peer → {peer, name, role, hand, online, li, parts}
    this.lobby = new Map(); // peer → li
    this.visited = new Map(); // peer → {peer, name, role}: parents who have been here (moderators)
    this.earlierItems = new Map(); // peer → li under "Earlier in this session"
    this.messages = new Map(); // seq → {peer, name, text, li}
    this.threads = new Map(); // peer → thread
    this.questions = new Map(); // seq → question
    this.pending = new Map(); // cid → {li, kind, text, thread?}
    this.voted = new Set();
    this.watching = null; // on a stage: how many of the audience are here (never who)
    this.mutedUntil = 0;
    this.failedSend = false;
    this.threadCount = 0;

    // One tab stop for the whole log, and a log as tall as the screen leaves it (issue 15).
    const { ui } = this;
    this.roving = new RovingList(ui.log, "chat-keys");
    this.fit = fitLog(root, ui.log, ui.log.closest(".room-chat"), [
      root.querySelector(".room-head"), ui.status, ui.notice, $("media"), ui.form, ui.info, ui.lobbyJump,
      $("chat-keys"),
    ]);

    connection.addEventListener("status", (event) => this.onStatus(event.detail));
    connection.addEventListener("frame", (event) => this.onFrame(event.detail, false));
    connection.addEventListener("failed", (event) => this.onFailed(event.detail));
    this.bind();
    this.render();
  }

  // ---- wiring ---------------------------------------------------------------------------------

  bind() {
    const { ui } = this;
    this.composer(ui.form, ui.text, () => this.sendChat());
    ui.skip?.addEventListener("click", (event) => {
      // Straight to the box, without a #fragment in the address bar or the tab's history.
      event.preventDefault();
      ui.text.focus();
    });
    this.composer(ui.askForm, ui.askText, () => this.ask());
    ui.retry.addEventListener("click", () => this.conn.retryNow());
    ui.hand.addEventListener("click", () => {
      const mine = this.you && this.members.get(this.you.peer);
      this.command({ type: "hand", raised: !(mine && mine.hand) });
    });
    ui.open.addEventListener("click", () => {
      if (window.confirm(this.S.open_confirm)) this.command({ type: "open" });
    });
    ui.end.addEventListener("click", () => {
      if (window.confirm(this.S.end_confirm)) this.command({ type: "end" });
    });
    ui.admitAll.addEventListener("click", () => this.command({ type: "admit_all" }));
    ui.lock.addEventListener("change", () => this.setting({ type: "lock", locked: ui.lock.checked }));
    ui.slow.addEventListener("change", () => this.setting({ type: "slow_mode", seconds: Number(ui.slow.value) }));
    ui.lobbyToggle.addEventListener("change", () => this.setting({ type: "lobby", enabled: ui.lobbyToggle.checked }));
    ui.volunteers.addEventListener("change", () =>
      this.setting({ type: "volunteers_moderate", allowed: ui.volunteers.checked }),
    );
    // One listener for every per-message, per-member, per-question and per-report button.
    this.root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-act]");
      if (button && this.root.contains(button)) this.act(button);
    });
  }

  /** A form whose Enter sends and Shift+Enter starts a new line. */
  composer(form, textarea, submit) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit();
    });
    textarea.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
      if (event.ctrlKey || event.altKey || event.metaKey) return;
      event.preventDefault();
      submit();
    });
  }

  command(frame) {
    if (this.conn.send(frame)) return true;
    this.notify(this.S.not_connected);
    return false;
  }

  setting(frame) {
    if (!this.command(frame)) this.syncControls();
  }

  act(button) {
    const { S } = this;
    const act = button.dataset.act;
    const peer = button.dataset.peer;
    const seq = Number(button.dataset.seq);
    const name = this.nameOf(peer);
    switch (act) {
      case "report": {
        const reason = window.prompt(S.report_prompt, "");
        if (reason === null) return;
        const frame = { type: "report", seq };
        if (reason.trim()) frame.reason = reason.trim().slice(0, MAX_REASON);
        if (this.command(frame)) this.notify(S.report_sent);
        return;
      }
      case "delete":
        if (window.confirm(S.delete_confirm)) this.command({ type: "delete", seq });
        return;
      case "mute":
        this.command({ type: "mute", peer, seconds: Number(button.dataset.seconds) });
        return;
      case "remove":
        if (window.confirm(format(S.remove_confirm, { name }))) this.command({ type: "remove", peer });
        return;
      case "ban":
        if (window.confirm(format(S.ban_confirm, { name }))) this.command({ type: "ban", peer });
        return;
      case "private": {
        const thread = this.thread(peer, name);
        thread.details.open = true;
        thread.textarea.focus();
        return;
      }
      case "admit":
        this.command({ type: "admit", peer });
        return;
      case "deny":
        if (window.confirm(format(S.deny_confirm, { name }))) this.command({ type: "deny", peer });
        return;
      case "upvote":
        if (button.getAttribute("aria-disabled") === "true") return;
        if (this.command({ type: "upvote", question: seq })) {
          this.voted.add(seq);
          const question = this.questions.get(seq);
          if (question) this.updateQuestion(question);
        }
        return;
      case "question":
        this.command({ type: "question", question: seq, action: button.dataset.action });
        return;
      case "dismiss":
        this.removeKeepingFocus(button.closest("li"), this.ui.reportsTitle);
        this.renderCounts();
        return;
    }
  }

  // ---- connection events ----------------------------------------------------------------------

  onStatus({ state, code }) {
    this.connState = state;
    if (state === "final") {
      this.closeCode = code;
      if (code !== 4011) this.ui.grid.hidden = true; // the server has shut this person out
    } else if (state === "reconnecting") {
      this.closeCode = code;
    }
    this.render();
  }

  onFrame(frame, replay) {
    // A message deleted before this instance could pass it on comes from storage marked so.
    if (frame.deleted === true && Number.isInteger(frame.seq)) return this.deleted(frame.seq);
    switch (frame.type) {
      case "welcome": return this.welcome(frame);
      case "replay": // the rest of a long resume, oldest first
        for (const event of frame.events || []) this.onFrame(event, true);
        this.sortQuestions();
        return this.render();
      case "lobby":
        this.phase = "lobby";
        if (frame.room) this.room = { ...this.room, ...frame.room };
        this.lobbyPosition = Number.isInteger(frame.position) ? frame.position : null;
        this.ui.grid.hidden = true;
        return this.render();
      case "waiting":
        this.phase = "waiting";
        this.opensAt = frame.opens_at || null;
        if (frame.room) this.room = { ...this.room, ...frame.room };
        this.ui.grid.hidden = true;
        return this.render();
      case "message": return this.message(frame, replay);
      // A message held for approval, now posted to everyone (held.js draws it while held).
      case "held_approved": return this.message(frame, replay);
      case "private": return this.privateMessage(frame, replay);
      case "question": return this.question(frame, replay);
      case "question_update": {
        let question = this.questions.get(frame.question);
        if (!question && frame.asked) {
          // Approved while we could not see it: the update carries the whole question.
          this.question({ ...frame.asked, seq: frame.question, status: frame.status, votes: frame.votes }, replay);
          question = this.questions.get(frame.question);
        }
        if (!question) return; // never seen its text; nothing to show
        if (frame.voted) this.voted.add(question.seq); // nobody is told who else voted
        if (frame.status) question.status = frame.status;
        if (Number.isInteger(frame.votes)) question.votes = frame.votes;
        this.updateQuestion(question, true);
        if (frame.status === "hidden" && !replay && this.isMine(question.peer)) this.notify(this.S.q_hidden_yours);
        return undefined;
      }
      case "deleted": return this.deleted(frame.message);
      case "ack": return this.acked(frame.cid, frame.seq);
      case "presence": return this.presence(frame);
      case "watching":
        this.watching = Number.isInteger(frame.count) ? frame.count : null;
        return this.renderCounts();
      case "hand": return this.handRaised(frame, replay);
      case "lobby_joined": return this.lobbyJoined(frame, replay);
      case "lobby_left": return this.lobbyLeft(frame.peer);
      case "moderation": return this.moderation(frame, replay);
      case "report": return this.report(frame, replay);
      case "room": return this.roomChanged(frame, replay);
      case "error": return this.error(frame);
      default:
        return undefined; // pong, and anything newer than this page
    }
  }

  onFailed({ cid, frame, error }) {
    const entry = this.pending.get(cid);
    this.pending.delete(cid);
    if (entry) entry.li.remove();
    const text = entry ? entry.text : frame.text || "";
    const box = frame.type === "ask" ? this.ui.askText
      : frame.type === "private" ? this.threads.get(frame.to)?.textarea : this.ui.text;
    if (box && text) box.value = box.value ? `${text}\n${box.value}` : text;
    this.failedSend = true;
    if (!error) this.error({ code: "too_long" });
  }

  welcome(frame) {
    const { ui } = this;
    const first = this.you === null;
    this.you = frame.you || this.you;
    this.room = { ...(frame.room || {}) };
    this.phase = "in";
    this.applyRole();
    this.members.clear();
    ui.members.replaceChildren();
    for (const member of frame.members || []) this.addMember(member);
    this.lobby.clear();
    ui.lobby.replaceChildren();
    for (const person of frame.lobby || []) this.lobbyJoined(person, true);
    this.visited = visitedFromWelcome(frame);
    this.watching = Number.isInteger(frame.watching) ? frame.watching : null;
    for (const event of frame.events || []) this.onFrame(event, true);
    this.sortQuestions();
    ui.grid.hidden = false;
    this.render();
    this.fit();
    if (first) ui.log.scrollTop = ui.log.scrollHeight;
  }

  // ---- small helpers --------------------------------------------------------------------------

  /** Time in Helsinki; with the weekday and date when it is not today. */
  when(value) {
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return "";
    const clock = this.clock.format(date);
    return this.day.format(date) === this.day.format(new Date()) ? clock : `${this.day.format(date)} ${clock}`;
  }

  timeElement(at) {
    if (!at) return null;
    return el("time", { datetime: at, text: this.when(at) });
  }

  nameOf(peer) {
    return this.members.get(peer)?.name || this.lobby.get(peer)?.dataset.name
      || this.visited.get(peer)?.name || this.S.someone;
  }

  badge(role, always = false) {
    if (!role || (role === "parent" && !always)) return null;
    const label = this.S[`role_${role}`];
    return label ? el("span", { class: `badge role-${role}`, text: label }) : null;
  }

  button(act, label, data = {}, cls = "quiet", hidden = null) {
    const props = { type: "button", class: cls, "data-act": act };
    for (const [key, value] of Object.entries(data)) props[`data-${key}`] = value;
    return el("button", props, label, hidden ? hiddenText(` ${hidden}`) : null);
  }

  notify(text) {
    const { notice } = this.ui;
    clearTimeout(this.noticeTimer);
    notice.textContent = "";
    // A fresh text node after a tick, so that the same message twice is announced twice.
    setTimeout(() => {
      notice.textContent = text;
    }, 50);
    this.noticeTimer = setTimeout(() => {
      notice.textContent = "";
    }, NOTICE_MS);
  }

  announce(text) {
    this.ui.announcer.textContent = text;
  }

  /** Appends to a scrolling log, following the bottom when the reader was already there. */
  append(log, li, follow = false) {
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.append(li);
    if (atBottom || follow) log.scrollTop = log.scrollHeight;
  }

  /** Removes an element; if focus was inside it, moves focus to the next sibling or fallback. */
  removeKeepingFocus(node, fallback) {
    if (!node) return;
    const hadFocus = node.contains(document.activeElement);
    const next = node.nextElementSibling || node.previousElementSibling;
    node.remove();
    if (!hadFocus) return;
    const target = next?.querySelector("button, summary, a[href]") || fallback;
    target?.focus();
  }

  // ---- chat -----------------------------------------------------------------------------------

  isMine(peer) {
    return Boolean(this.you) && peer === this.you.peer;
  }
}

mixIn(RoomView, RoomRender, RoomChat, RoomMembers, RoomLobby, RoomModeration, RoomThreads, RoomQuestions);
