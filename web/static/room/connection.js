// The room's WebSocket client (docs/protocol.md, version 1).
//
// One RoomConnection per page. It says hello, keeps the highest seq it has seen, drops events it
// has already seen, pings every 25 s, and reconnects with exponential backoff and jitter, resuming
// with last_seq. Chat-like frames (send, private, ask) carry a client id (cid) and stay in an
// outbox until the server confirms them; after a reconnect they are sent again with the same cid,
// and the server answers a duplicate with an ack, so a retried message lands once.
//
// Events dispatched (CustomEvent, detail as shown):
//   "status"  {state: "connecting" | "open" | "reconnecting" | "final" | "closed", code?, delay?}
//   "frame"   a server frame (welcome.events and replay.events already filtered to unseen ones;
//             a long resume comes as a welcome and "replay" frames, oldest first)
//   "failed"  {cid, frame, error}  an outbox frame the server refused (or that is too large);
//             one it could not store just now ("not_stored") is sent again instead
//   "check"   {cid, frame, findings}  an outbox frame the room asks about before storing it
//             (identifying details); `sendAnyway(frame)` sends it after all
// Nothing is stored in the browser: a shared device keeps no trace of the conversation.

export const PROTOCOL_VERSION = 1;
export const PING_MS = 25000;
export const MAX_FRAME_BYTES = 32 * 1024; // a video offer's SDP is several KiB
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_CAP_MS = 30000;
// Close codes after which trying again cannot help (removed, ended, locked out, bad link…).
export const FINAL_CODES = new Set([4000, 4001, 4003, 4004, 4010, 4011, 4023]);
// Close codes that ask for a longer pause before the next attempt.
const SLOW_CODES = new Set([4009, 4029]);
// No frame at all for this long (pongs included) means the connection is dead without a close.
const SILENCE_MS = 2 * PING_MS + 10000;
const RELIABLE = new Set(["send", "private", "ask"]);
const CONFIRMING = new Set(["message", "private", "question", "ack"]);
// Error codes that can answer a chat-like frame; only these may fail an outbox entry.
const WRITE_ERRORS = new Set([
  "bad_frame", "too_long", "not_allowed", "not_admitted", "muted", "slow_mode", "rate_limited",
  "unknown_peer", "room_not_open", "wrong_mode", "invalid_text", "invalid_frame",
]);
const CID = /^[A-Za-z0-9_-]{1,64}$/;

/** Milliseconds to wait before reconnect attempt number `attempt` (0 = first): 1 s doubling up
 * to 30 s, each spread by ±20 % so that a crowd cut off together does not return together. */
export function backoffDelay(attempt, random = Math.random) {
  const exponential = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  const spread = exponential * (0.8 + 0.4 * random());
  return Math.round(Math.min(BACKOFF_CAP_MS, Math.max(BACKOFF_BASE_MS, spread)));
}

/** The ws: or wss: address of `path` on this page's own host. */
export function socketUrl(location, path) {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.hash = "";
  return url.href;
}

/** A fresh client message id: a UUID, or 32 hex digits where randomUUID is missing (plain http). */
export function newCid(cryptoObject = globalThis.crypto) {
  if (typeof cryptoObject.randomUUID === "function") return cryptoObject.randomUUID();
  const bytes = cryptoObject.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function isValidCid(cid) {
  return typeof cid === "string" && CID.test(cid);
}

/** Size of a frame on the wire, in UTF-8 bytes. */
export function frameBytes(frame) {
  return new TextEncoder().encode(JSON.stringify(frame)).length;
}

/** Whether the reconnect loop stops after a close with `code`. */
export function isFinalClose(code) {
  return FINAL_CODES.has(code);
}

/** Keeps only events not seen before; returns [fresh events, new last seq]. Events without a seq
 * (presence, hand, lobby_*, room) always pass. The server sends seq in increasing order. */
export function freshEvents(events, lastSeq) {
  const fresh = [];
  for (const event of events) {
    if (Number.isInteger(event?.seq)) {
      if (lastSeq !== null && event.seq <= lastSeq) continue;
      lastSeq = event.seq;
    }
    fresh.push(event);
  }
  return [fresh, lastSeq];
}

export class RoomConnection extends EventTarget {
  #path;
  #location;
  #Socket;
  #ws = null;
  #attempt = 0;
  #timer = null;
  #ping = null;
  #lastFrameAt = 0;
  #stopped = false;
  #admitted = false;
  #everConnected = false;
  #outbox = new Map(); // cid → {frame, sent}; Map keeps insertion order
  #lastWasWrite = false;

  /** @param {string} path e.g. "/me/rooms/12/socket" (a parent) or "/ws/rooms/12" (staff) */
  constructor(path, { location = globalThis.location, Socket = globalThis.WebSocket } = {}) {
    super();
    this.#path = path;
    this.#location = location;
    this.#Socket = Socket;
    /** Highest seq seen in this room, or null before any. */
    this.lastSeq = null;
    this.state = "idle";
  }

  /** Number of chat-like frames not yet confirmed by the server. */
  get unconfirmed() {
    return this.#outbox.size;
  }

  get connected() {
    return this.#ws !== null && this.#ws.readyState === 1;
  }

  connect() {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#ws) return;
    this.#setState(this.#everConnected ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new this.#Socket(socketUrl(this.#location, this.#path));
    } catch {
      this.#closed(1006);
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (ws !== this.#ws) return;
      this.#everConnected = true;
      this.#lastFrameAt = Date.now();
      const hello = { type: "hello", v: PROTOCOL_VERSION };
      if (this.lastSeq !== null) hello.last_seq = this.lastSeq;
      this.#transmit(hello);
      this.#ping = setInterval(() => this.#tick(), PING_MS);
      this.#setState("open");
    };
    ws.onmessage = (event) => {
      if (ws === this.#ws) this.#receive(event.data);
    };
    ws.onclose = (event) => {
      if (ws === this.#ws) this.#closed(event.code);
    };
    ws.onerror = () => {}; // a close event always follows
  }

  /** Skip the wait of a scheduled reconnect (e.g. the "try again now" button, or back online). */
  retryNow() {
    if (this.#timer !== null) this.connect();
  }

  /** Close for good (leaving the page). */
  close() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const ws = this.#ws;
    this.#drop();
    if (ws) ws.close(1000);
    this.#setState("closed");
  }

  /** Sends a one-off command (hand, upvote, moderation…). False when not connected: such
   * commands are not queued, since acting on a stale view later would surprise people. */
  send(frame) {
    if (!this.connected || frameBytes(frame) > MAX_FRAME_BYTES) return false;
    this.#lastWasWrite = false;
    return this.#transmit(frame);
  }

  /** Queues a chat-like frame (`send`, `private`, `ask`) under a new cid and sends it when the
   * room lets us. Returns the cid, or null when the frame is too large to ever be sent. */
  sendReliable(type, fields) {
    if (!RELIABLE.has(type)) throw new TypeError(`not a reliable frame: ${type}`);
    const frame = { type, cid: newCid(), ...fields };
    if (frameBytes(frame) > MAX_FRAME_BYTES) return null;
    this.#outbox.set(frame.cid, { frame, sent: false });
    if (this.#admitted) this.#flush();
    return frame.cid;
  }

  /** Removes a queued frame that has not been confirmed (the author gave up on it). */
  forget(cid) {
    this.#outbox.delete(cid);
  }

  #setState(state, extra = {}) {
    this.state = state;
    this.#emit("status", { state, ...extra });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #transmit(frame) {
    try {
      this.#ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  #flush() {
    if (!this.connected || !this.#admitted) return;
    for (const entry of this.#outbox.values()) {
      if (entry.sent) continue;
      if (!this.#transmit(entry.frame)) return;
      entry.sent = true;
      this.#lastWasWrite = true;
    }
  }

  #tick() {
    if (Date.now() - this.#lastFrameAt > SILENCE_MS) {
      // Half-open connection (a phone changed networks): give up on it and reconnect.
      const ws = this.#ws;
      this.#closed(1006);
      try {
        ws?.close();
      } catch {
        // already closing
      }
      return;
    }
    this.#transmit({ type: "ping" });
  }

  #receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object" || typeof frame.type !== "string") return;
    this.#lastFrameAt = Date.now();
    switch (frame.type) {
      case "welcome":
      case "replay": {
        const [events, lastSeq] = freshEvents(Array.isArray(frame.events) ? frame.events : [], this.lastSeq);
        this.lastSeq = lastSeq;
        if (Number.isInteger(frame.seq) && (this.lastSeq === null || frame.seq > this.lastSeq)) {
          this.lastSeq = frame.seq;
        }
        for (const event of events) this.#confirm(event);
        this.#emit("frame", { ...frame, events });
        if (frame.type === "welcome") {
          this.#attempt = 0;
          this.#admitted = true;
          this.#flush();
        }
        return;
      }
      case "lobby":
      case "waiting":
        this.#attempt = 0;
        this.#admitted = false;
        break;
      case "ack":
        // An ack's seq is the stored message's, not a new event: it must not move lastSeq.
        this.#confirm(frame);
        break;
      case "error":
        this.#failFor(frame);
        break;
      case "check":
        this.#asked(frame);
        return;
      default:
        // Only events received while admitted count: a room event seen in the lobby must not
        // make the history that the welcome brings look already seen.
        if (this.#admitted && Number.isInteger(frame.seq)) {
          if (this.lastSeq !== null && frame.seq <= this.lastSeq) return; // seen already
          this.lastSeq = frame.seq;
        }
        if (CONFIRMING.has(frame.type)) this.#confirm(frame);
    }
    this.#emit("frame", frame);
  }

  // The room asks before storing a text that looks like identifying details: the frame leaves
  // the outbox (it is not sent again by itself) until its author answers (`sendAnyway`).
  #asked(check) {
    const entry = this.#outbox.get(check.cid);
    if (!entry) return;
    this.#outbox.delete(check.cid);
    const findings = Array.isArray(check.findings) ? check.findings.filter((f) => typeof f === "string") : [];
    this.#emit("check", { cid: check.cid, frame: entry.frame, findings });
  }

  /** Sends a frame the room asked about again, under its cid, saying its author means it. */
  sendAnyway(frame) {
    if (!RELIABLE.has(frame.type) || !isValidCid(frame.cid)) throw new TypeError("not an asked frame");
    this.#outbox.set(frame.cid, { frame: { ...frame, confirmed: true }, sent: false });
    if (this.#admitted) this.#flush();
  }

  #confirm(frame) {
    if (typeof frame.cid === "string") this.#outbox.delete(frame.cid);
  }

  // An error frame names no request. It is taken as the answer to the oldest unconfirmed
  // chat-like frame when it carries that frame's cid, or when the last thing sent was such a
  // frame and the code is one a write can get (the server answers frames in order).
  #failFor(error) {
    if (error.code === "not_stored" && this.#outbox.has(error.cid)) {
      // Not stored just now (or stored, with no word of it yet): sent again with the same cid
      // after the pause the server asks for, so it lands once either way.
      this.#outbox.get(error.cid).sent = false;
      const seconds = Number.isInteger(error.retry_after) ? error.retry_after : 2;
      setTimeout(() => this.#flush(), seconds * 1000);
      return;
    }
    let cid = null;
    if (typeof error.cid === "string" && this.#outbox.has(error.cid)) {
      cid = error.cid;
    } else if (this.#lastWasWrite && WRITE_ERRORS.has(error.code)) {
      for (const [key, entry] of this.#outbox) {
        if (entry.sent) {
          cid = key;
          break;
        }
      }
    }
    if (cid === null) return;
    const { frame } = this.#outbox.get(cid);
    this.#outbox.delete(cid);
    this.#emit("failed", { cid, frame, error });
  }

  #drop() {
    clearInterval(this.#ping);
    this.#ping = null;
    if (this.#ws) {
      this.#ws.onopen = this.#ws.onmessage = this.#ws.onclose = null;
    }
    this.#ws = null;
    this.#admitted = false;
    this.#lastWasWrite = false;
    for (const entry of this.#outbox.values()) entry.sent = false;
  }

  #closed(code) {
    this.#drop();
    if (this.#stopped) return;
    if (isFinalClose(code)) {
      this.#stopped = true;
      this.#setState("final", { code });
      return;
    }
    let delay = backoffDelay(this.#attempt);
    this.#attempt += 1;
    if (SLOW_CODES.has(code)) delay = Math.max(delay, backoffDelay(5));
    this.#setState("reconnecting", { code, delay });
    this.#timer = setTimeout(() => this.connect(), delay);
  }
}
