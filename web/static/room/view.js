// The room as people see it. Builds DOM with createElement/textContent only (never innerHTML),
// so text from other people can never become markup. All wording comes from the strings map
// the template renders through the translation layer.
import { flaggedNote } from "./details.js";
import { fitLog } from "./fit.js";
import { QUESTION_RANK, questionView } from "./questions.js";
import { RovingList } from "./roving.js";
import { earlier, visitedAfter, visitedFromWelcome } from "./visited.js";
import { watchingTemplate } from "./watching.js";

const ZONE = "Europe/Helsinki";
const FACILITATOR_ROLES = new Set(["facilitator", "coordinator"]);
const ROLE_ORDER = { facilitator: 0, coordinator: 1, volunteer: 2, parent: 3 };
const MAX_TEXT = 2000;
const MAX_QUESTION = 500;
const MAX_REASON = 300;
const NOTICE_MS = 12000;

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

/** The filled template as nodes, each value in a <bdi>: a name or text written right to left, or
 * holding direction controls, cannot reorder the sentence around it. */
function isolated(template, params = {}) {
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

function hiddenText(text) {
  return el("span", { class: "visually-hidden", text });
}

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

  // ---- status, room state, controls -----------------------------------------------------------

  render() {
    this.renderStatus();
    this.renderRoom();
    this.renderCounts();
    this.renderComposer();
  }

  renderStatus() {
    const { S, ui, room } = this;
    let text = "";
    let tone = "info";
    let retry = false;
    let back = false;
    let open = false;
    if (this.connState === "final") {
      text = S[`close_${this.closeCode}`] || S.err_unknown;
      tone = "final";
      back = true;
    } else if (this.connState === "reconnecting") {
      text = this.closeCode === 4029 ? S.close_4029 : this.closeCode === 4009 ? S.close_4009 : S.reconnecting;
      retry = true;
    } else if (this.connState !== "open") {
      text = S.connecting;
    } else if (this.phase === "waiting") {
      const parts = [S.waiting_room];
      if (this.startsAt) parts.push(format(S.starts_at, { time: this.when(this.startsAt) }));
      if (this.isStaff && this.opensAt) parts.push(format(S.staff_opens_at, { time: this.when(this.opensAt) }));
      text = parts.join(" ");
    } else if (this.phase === "lobby") {
      text = S.lobby_wait;
      if (this.lobbyPosition) text += ` ${format(S.lobby_position, { position: this.lobbyPosition })}`;
    } else if (this.phase === "in") {
      if (room.status === "ended") {
        text = S.ended;
        tone = "final";
        back = true;
      } else if (room.status === "waiting") {
        text = this.isStaff ? S.not_open_staff : S.waiting_room;
        open = true;
      }
    } else {
      text = S.connecting;
    }
    if (ui.statusText.textContent !== text) ui.statusText.textContent = text;
    ui.status.dataset.tone = text ? tone : "none";
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

  // ---- members and hands ----------------------------------------------------------------------

  sortKey(member) {
    return `${ROLE_ORDER[member.role] ?? 9}${(member.name || "").toLocaleLowerCase()}`;
  }

  addMember(data) {
    const { S } = this;
    const member = { peer: data.peer, name: data.name, role: data.role, hand: Boolean(data.hand), online: data.online !== false };
    const own = this.isMine(member.peer);
    const state = hiddenText("");
    const hand = el("span", { class: "badge hand", hidden: true, text: S.hand_raised });
    const li = el("li", { class: "member", "data-peer": member.peer },
      el("span", { class: "presence", "aria-hidden": "true" }),
      el("span", { class: "member-name", text: member.name }),
      own ? el("span", { class: "msg-you", text: S.you }) : null,
      this.badge(member.role, true), hand, state);
    if (!own) li.append(this.memberActions(member));
    member.li = li;
    member.parts = { state, hand };
    const key = this.sortKey(member);
    const after = [...this.members.values()].find((other) => this.sortKey(other) > key);
    this.ui.members.insertBefore(li, after ? after.li : null);
    this.members.set(member.peer, member);
    this.updateMember(member);
    return member;
  }

  memberActions(member) {
    const { S } = this;
    const peer = member.peer;
    const box = el("div", { class: "actions" },
      this.button("private", S.write_private, { peer }, "quiet facilitator-only"));
    if (member.role === "parent" || member.role === "volunteer") {
      box.append(
        this.button("mute", S.mute_5, { peer, seconds: 300 }),
        this.button("mute", S.mute_15, { peer, seconds: 900 }),
        this.button("mute", S.unmute, { peer, seconds: 0 }),
        this.button("remove", S.remove, { peer }, "quiet danger"),
      );
    }
    if (member.role === "parent") box.append(this.button("ban", S.ban, { peer }, "quiet danger"));
    return el("details", { class: "member-actions mod-only" },
      el("summary", {}, ...isolated(S.actions_for, { name: member.name })), box);
  }

  updateMember(member) {
    const { S } = this;
    member.li.classList.toggle("offline", !member.online);
    member.parts.state.textContent = ` (${member.online ? S.online : S.offline})`;
    member.parts.hand.hidden = !member.hand;
  }

  presence(frame) {
    this.visited = visitedAfter(this.visited, { ...frame, type: "presence" });
    let member = this.members.get(frame.peer);
    if (!member && frame.online === false) return; // someone already gone from the list
    if (!member) member = this.addMember(frame);
    member.online = frame.online !== false;
    this.updateMember(member);
    this.renderCounts();
  }

  dropMember(peer) {
    const member = this.members.get(peer);
    if (!member) return;
    this.members.delete(peer);
    this.removeKeepingFocus(member.li, this.ui.membersTitle);
    this.renderCounts();
  }

  handRaised(frame, replay) {
    const member = this.members.get(frame.peer);
    if (!member) return;
    member.hand = Boolean(frame.raised);
    this.updateMember(member);
    if (this.isMine(frame.peer)) this.renderComposer();
    else if (member.hand && !replay && this.you?.moderator) {
      this.announce(format(this.S.hand_announce, { name: member.name }));
    }
  }

  // ---- lobby ----------------------------------------------------------------------------------

  lobbyJoined(person, replay) {
    const { S, ui } = this;
    if (!person.peer || this.lobby.has(person.peer)) return;
    const name = person.name || S.someone;
    const li = el("li", { class: "member", "data-peer": person.peer, "data-name": name },
      el("span", { class: "member-name", text: name }),
      el("span", { class: "actions" },
        this.button("admit", S.admit, { peer: person.peer }, "quiet", name),
        this.button("deny", S.deny, { peer: person.peer }, "quiet danger", name)));
    this.lobby.set(person.peer, li);
    ui.lobby.append(li);
    this.renderCounts();
    if (!replay) this.announce(format(S.lobby_announce, { name }));
  }

  lobbyLeft(peer) {
    const li = this.lobby.get(peer);
    if (!li) return;
    this.lobby.delete(peer);
    this.removeKeepingFocus(li, this.ui.lobbyTitle);
    this.renderCounts();
  }

  // ---- moderation and reports -----------------------------------------------------------------

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
    const { S } = this;
    const on = Boolean(value);
    switch (key) {
      case "locked": return on ? S.mod_locked : S.mod_unlocked;
      case "slow_mode": return Number(value) > 0 ? format(S.mod_slow_on, { seconds: Number(value) }) : S.mod_slow_off;
      case "lobby": return on ? S.mod_lobby_on : S.mod_lobby_off;
      default: return on ? S.mod_volunteers_on : S.mod_volunteers_off;
    }
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

  // ---- private threads ------------------------------------------------------------------------

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

  // ---- stage questions ------------------------------------------------------------------------

  ask() {
    const { ui, S } = this;
    const text = ui.askText.value.trim();
    if (!text || !this.you) return;
    if (text.length > MAX_QUESTION) return this.error({ code: "too_long" });
    const cid = this.conn.sendReliable("ask", { text });
    if (!cid) return this.error({ code: "too_long" });
    const li = el("li", { class: "question pending" },
      el("p", { class: "q-text", text }), el("p", { class: "msg-state", text: S.sending }));
    this.pending.set(cid, { li, kind: "ask", text });
    ui.questions.append(li);
    ui.askText.value = "";
    ui.askText.focus();
  }

  question(frame, replay) {
    if (!Number.isInteger(frame.seq)) return;
    this.settlePending(frame.cid, frame.seq);
    let question = this.questions.get(frame.seq);
    if (!question) {
      question = { seq: frame.seq, peer: frame.peer, name: frame.name, text: frame.text, at: frame.at };
      this.questions.set(frame.seq, question);
      this.questionItem(question);
    }
    question.status = frame.status || "pending";
    question.votes = Number(frame.votes) || 0;
    this.updateQuestion(question, !replay);
  }

  questionItem(question) {
    const { S } = this;
    const seq = question.seq;
    const status = el("span", { class: "q-status" });
    const votes = el("span", { class: "q-votes" });
    const upvote = this.button("upvote", S.upvote, { seq }, "quiet");
    const approve = this.button("question", S.approve, { seq, action: "approve" }, "quiet mod-only");
    const answered = this.button("question", S.mark_answered, { seq, action: "answered" }, "quiet mod-only");
    const hide = this.button("question", S.hide, { seq, action: "hide" }, "quiet danger mod-only");
    question.li = el("li", { class: "question", "data-seq": seq },
      el("p", { class: "q-text", text: question.text }),
      el("p", { class: "q-meta" },
        el("span", { class: "msg-name", text: question.name || S.someone }), " ",
        this.timeElement(question.at), " ", status, " ", votes),
      el("div", { class: "actions" }, upvote, approve, answered, hide));
    question.parts = { status, votes, upvote, approve, answered, hide };
    this.ui.questions.append(question.li);
  }

  updateQuestion(question, resort = false) {
    const { S } = this;
    const view = questionView(question, this.you?.peer ?? null, this.voted.has(question.seq));
    if (view === null) {
      this.questions.delete(question.seq);
      this.removeKeepingFocus(question.li, this.ui.qaTitle);
      return;
    }
    const { status, votes, upvote, approve, answered, hide } = question.parts;
    question.li.className = `question status-${question.status}`;
    const words = { pending: S.q_pending, answered: S.q_answered, hidden_yours: S.q_hidden_yours };
    status.textContent = words[view.status] || "";
    votes.textContent = format(S.votes, { votes: question.votes || 0 });
    votes.hidden = view.status === "hidden_yours";
    // A vote given is said in words; the button keeps its place, so focus stays on it.
    upvote.hidden = view.vote === "none";
    upvote.textContent = view.vote === "voted" ? S.voted : S.upvote;
    upvote.setAttribute("aria-disabled", String(view.vote !== "can"));
    approve.hidden = question.status !== "pending";
    answered.hidden = question.status !== "approved";
    hide.hidden = question.status === "hidden";
    if (resort) this.sortQuestions();
  }

  /** Pending first (for moderators), then approved by votes, then answered; focus is kept. */
  sortQuestions() {
    const rank = QUESTION_RANK;
    const list = this.ui.questions;
    const focused = list.contains(document.activeElement) ? document.activeElement : null;
    const items = [...this.questions.values()].sort((a, b) =>
      (rank[a.status] ?? 3) - (rank[b.status] ?? 3) || (b.votes || 0) - (a.votes || 0) || a.seq - b.seq);
    const order = items.map((q) => q.li);
    if (order.every((li, i) => list.children[i] === li)) return;
    for (const li of order) list.append(li);
    for (const entry of this.pending.values()) if (entry.kind === "ask") list.append(entry.li);
    focused?.focus();
  }
}
