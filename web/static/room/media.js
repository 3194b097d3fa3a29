// Video and audio in `group` and `stage` sessions (docs/protocol.md, "Media"): the tiles, the
// person's own controls, moderators' stop buttons, and the connections: one PeerLink per other
// person in a mesh, or a publication and one subscription per publisher through the relay
// (relay.js), as the server's `topology` says. Switching between them keeps the capture.
//
// Media must never break the chat: every entry point catches its own errors, and the page loads
// this module separately (main.js), so a browser that cannot run it still has the chat.
// Names on tiles come only from the room's member list (pseudonyms and aliases).

import { Capture, Levels, canCapture, captureProblem } from "./capture.js";
import { PeerLink, roles } from "./mesh.js";
import { RELAY_CID_PREFIX, RelayMedia } from "./relay.js";
import { el, format } from "./view.js";

const STAGE_SENDERS = new Set(["facilitator", "coordinator", "volunteer"]);
const STAGE_ORDER = { facilitator: 0, coordinator: 1, volunteer: 2 }; // who is big before anyone speaks
const MODES = new Set(["group", "stage"]);
const KINDS = ["audio", "video"];
const KEYS = ["mic", "camera", "blurred"];
const ME = "me";
const BYE_GRACE_MS = 1500; // after a `bye`, wait this long before connecting again (they may be leaving)
const SWITCH_QUIET_MS = 10000; // mesh frames refused this soon after a topology change are expected
const SPEAKER_HOLD_MS = 1500; // the big tile on a stage changes at most this often (no flicker)
const TOPOLOGIES = new Set(["mesh", "relay"]);

function quietly(fn) {
  return (...args) => {
    try {
      const result = fn(...args);
      if (result && typeof result.catch === "function") result.catch(() => {});
      return result;
    } catch {
      return undefined;
    }
  };
}

const avDefaults = () => ({ mic: false, camera: false, blurred: false, mic_allowed: true, camera_allowed: true, relay: 0 });

export class RoomMedia {
  constructor(root, strings, connection, { notify = () => {} } = {}) {
    this.root = root;
    this.S = strings;
    this.conn = connection;
    this.notify = notify;
    const $ = (id) => document.getElementById(id);
    this.ui = {
      panel: $("media"), join: $("media-join"), start: $("media-start"), startAudio: $("media-start-audio"),
      receiving: $("media-receiving"), controls: $("media-controls"), mic: $("media-mic"),
      camera: $("media-camera"), blur: $("media-blur"), leave: $("media-leave"), note: $("media-note"),
      problem: $("media-problem"), sound: $("media-sound"), tiles: $("media-tiles"), announcer: $("media-announce"),
      relayNote: $("media-relay-note"),
    };
    this.capture = new Capture();
    this.capture.onended = quietly(() => this.changed());
    this.levels = new Levels((key, on) => this.speaking(key, on));
    this.people = new Map(); // peer → {peer, name, role, online, av, link, tracks, tile}
    this.avOf = new Map(); // peer → av, kept while they are away (presence carries no av)
    this.media = null; // welcome.media
    this.you = null;
    this.status = null; // the room's status
    this.allowed = { audio: true, video: true };
    this.own = null; // my tile
    this.busy = false;
    this.blocked = new Set(); // audio elements the browser would not play yet
    this.welcomed = false;
    this.topology = "mesh";
    this.switchedAt = 0;
    this.relay = null; // RelayMedia while the room uses the relay
    this.relayNote = null; // an error code from the relay worth showing
    this.speaker = null; // stage: who was last heard speaking ({key, at}); their tile is big
    this.speakerTimer = null;

    const take = (event) => this.take(event);
    connection.addEventListener("frame", take);
    connection.addEventListener("status", take);
    this.bind();
  }

  /** A connection event ("frame" or "status"), also those that came before this module loaded. */
  take(event) {
    this.safely(() => (event.type === "status" ? this.onStatus(event.detail) : this.onFrame(event.detail)));
  }

  safely(fn) {
    try {
      fn();
    } catch (error) {
      // Media trouble stays in media: the chat goes on. (Logged for whoever looks.)
      console.error("media:", error);
    }
  }

  bind() {
    const { ui } = this;
    const on = (node, fn) => node?.addEventListener("click", quietly(fn));
    on(ui.start, () => this.join(true));
    on(ui.startAudio, () => this.join(false));
    on(ui.mic, () => this.toggleMic());
    on(ui.camera, () => this.toggleCamera());
    on(ui.blur, () => this.toggleBlur());
    on(ui.leave, () => this.leave());
    on(ui.sound, () => this.unblock());
    ui.tiles?.addEventListener("click", quietly((event) => {
      const button = event.target.closest("button[data-media]");
      if (button) this.control(button.dataset.peer, button.dataset.media);
    }));
    // Audio may only start after a gesture: any click or key on the page will do.
    const wake = quietly(() => {
      this.levels.wake();
      if (this.blocked.size) this.unblock();
    });
    this.root.addEventListener("pointerdown", wake);
    this.root.addEventListener("keydown", wake);
  }

  // ---- room frames ----------------------------------------------------------------------------

  onFrame(frame) {
    switch (frame.type) {
      case "welcome": return this.welcome(frame);
      case "lobby":
      case "waiting": return this.reset(false);
      case "presence": return this.presence(frame);
      case "moderation":
        if (frame.action === "removed" || frame.action === "banned") this.drop(frame.peer, false);
        return undefined;
      case "room":
        if (typeof frame.status === "string") this.setStatus(frame.status);
        return undefined;
      case "av": return this.av(frame, true);
      case "signal": return this.signal(frame);
      case "topology": return this.switchTopology(frame.topology);
      case "relay": return this.relay?.take(frame);
      case "error":
        if (this.relay?.error(frame)) return undefined;
        if (frame.code === "media_stopped") this.render();
        return undefined;
      default:
        return undefined;
    }
  }

  onStatus({ state }) {
    if (state === "reconnecting") this.reset(false); // the others close theirs as we go offline
    else if (state === "final" || state === "closed") this.reset(true);
  }

  welcome(frame) {
    this.reset(false);
    this.you = frame.you || null;
    const media = frame.media;
    this.media = media && MODES.has(media.mode) && globalThis.RTCPeerConnection ? { ...media } : null;
    this.topology = this.media?.topology === "relay" ? "relay" : "mesh";
    this.status = frame.room?.status || null;
    if (!this.media || !this.you) return this.render();
    for (const member of frame.members || []) this.person(member);
    const mine = this.you.av || (frame.members || []).find((m) => m.peer === this.you.peer)?.av;
    if (mine) this.av({ ...mine, peer: this.you.peer }, false);
    // The room remembers our last state (it may say "camera on" after a reload): correct it.
    const now = this.ownAv();
    if (this.publishes && (!mine || KEYS.some((key) => Boolean(mine[key]) !== now[key]))) this.sendAv();
    // After a reconnect the others may still hold a connection to the old us (the server had
    // not noticed the drop, so they saw no presence change): `bye` makes them start afresh.
    this.connectAll(this.welcomed);
    this.welcomed = true;
    this.render();
  }

  setStatus(status) {
    const before = this.status;
    this.status = status;
    if (status === "ended") this.reset(true);
    else if (status === "open" && before !== "open") this.connectAll();
    for (const p of this.people.values()) this.renderTile(p);
    this.render();
  }

  get live() {
    return Boolean(this.media && this.you && this.status === "open");
  }

  get publishes() {
    return Boolean(this.media?.publish);
  }

  /** Error frames the chat should not show: those answering relay frames (handled here), and
   * mesh frames refused because the room has just moved to the relay. The view asks. */
  quiet(frame) {
    if (typeof frame?.cid === "string") return frame.cid.startsWith(RELAY_CID_PREFIX);
    return frame?.code === "wrong_mode" && Boolean(this.media) && Date.now() - this.switchedAt < SWITCH_QUIET_MS;
  }

  /** Whether `role` sends audio and video in this room. */
  sends(role) {
    return this.media?.mode === "group" || STAGE_SENDERS.has(role);
  }

  person(data) {
    if (!data?.peer || (this.you && data.peer === this.you.peer)) return null;
    let p = this.people.get(data.peer);
    if (!p) {
      const av = { ...avDefaults(), ...this.avOf.get(data.peer) };
      p = { peer: data.peer, name: data.name, role: data.role, online: true, av, link: null, tracks: {}, tile: null };
      this.avOf.set(p.peer, av);
      this.people.set(p.peer, p);
    }
    if (data.name) p.name = data.name;
    if (data.role) p.role = data.role;
    p.online = data.online !== false;
    if (data.av) Object.assign(p.av, data.av);
    if (!p.online) p.av.relay = 0;
    this.renderTile(p);
    return p;
  }

  presence(frame) {
    if (!this.media) return;
    if (frame.online === false) return this.drop(frame.peer, false);
    const p = this.person(frame);
    if (p && this.live) this.connect(p);
    this.relay?.sync();
    return undefined;
  }

  drop(peer, bye) {
    const p = this.people.get(peer);
    if (!p) return;
    this.disconnect(p, bye);
    // Gone from the room is gone from the relay: whoever comes back publishes anew (the kept
    // av must not make us subscribe to a publication that ended).
    p.av.relay = 0;
    this.people.delete(peer);
    p.tile?.li.remove();
    this.renderTiles();
  }

  /** Forgets every connection (and, `stop`, the camera and microphone too). */
  reset(stop) {
    this.closeRelay(false); // the socket is gone (or we are in the lobby): the server ends ours
    for (const p of this.people.values()) this.disconnect(p, false);
    this.people.clear();
    this.speaker = null;
    clearTimeout(this.speakerTimer);
    this.ui.tiles?.replaceChildren();
    this.own = null;
    if (stop) {
      this.capture.stop();
      this.levels.stop();
      this.media = null;
    }
    this.render();
  }

  /** Leaving the page: say bye to everyone while the socket is still open. */
  close() {
    this.closeRelay(true);
    for (const p of this.people.values()) this.disconnect(p, true);
    this.capture.stop();
  }

  // ---- connections ----------------------------------------------------------------------------

  wanted(p) {
    return this.live && p.online && (this.publishes || this.sends(p.role));
  }

  connectAll(bye = false) {
    if (!this.live) return;
    if (this.topology === "relay") {
      this.openRelay().sync();
      return;
    }
    for (const p of this.people.values()) this.connect(p, bye);
  }

  /** A mesh connection to `p` (in relay topology there are none). */
  connect(p, bye = false) {
    if (this.topology !== "mesh") return null;
    if (p.link || !this.wanted(p)) return p.link;
    if (bye) this.conn.send({ type: "signal", to: p.peer, kind: "bye" });
    const theySend = this.sends(p.role);
    const { polite, opens } = roles(this.you.peer, p.peer, this.publishes, theySend);
    p.link = new PeerLink({
      peer: p.peer,
      polite,
      opens,
      mayOffer: this.publishes,
      iceServers: this.media.ice_servers,
      iceTransportPolicy: this.media.ice_transport_policy,
      directions: () => this.directions(p),
      tracks: (kind) => this.capture.track(kind),
      send: (frame) => this.conn.send(frame),
      ontrack: quietly((kind, track) => this.remoteTrack(p, kind, track)),
      onstate: quietly(() => this.renderTile(p)),
      onreset: quietly((frame) => this.relink(p, frame)),
    });
    return p.link;
  }

  /** A fresh offer that the old connection cannot take (the other side started over). */
  relink(p, frame) {
    if (frame.retried) return;
    frame.retried = true;
    this.disconnect(p, false);
    this.connect(p)?.receive(frame);
  }

  disconnect(p, bye) {
    p.link?.close(bye);
    p.link = null;
    this.relay?.unsubscribe(p.peer);
    for (const kind of KINDS) this.remoteTrack(p, kind, null);
  }

  /** The mesh link or the relay subscription that brings `p`'s media, if any. */
  linkOf(p) {
    return p.link || this.relay?.subscription(p.peer) || null;
  }

  // ---- the relay ------------------------------------------------------------------------------

  openRelay() {
    if (this.relay) return this.relay;
    this.relay = new RelayMedia({
      send: (frame) => this.conn.send(frame),
      config: () => ({ iceServers: this.media?.ice_servers, iceTransportPolicy: this.media?.ice_transport_policy }),
      wantPublish: () => this.live && this.publishes && this.capture.active && (this.allowed.audio || this.allowed.video),
      publishers: () => {
        const out = new Map();
        for (const p of this.people.values()) {
          const generation = Number(p.av.relay) || 0;
          if (p.online && generation > 0 && this.sends(p.role)) out.set(p.peer, generation);
        }
        return out;
      },
      tracks: (kind) => this.capture.track(kind),
      allowed: (kind) => this.allowed[kind],
      ontrack: quietly((peer, kind, track) => {
        const p = this.people.get(peer);
        if (p) this.remoteTrack(p, kind, track);
      }),
      onstate: quietly((peer) => {
        const p = peer === null ? null : this.people.get(peer);
        if (p) this.renderTile(p);
      }),
      onnote: quietly((code) => {
        this.relayNote = code;
        this.render();
      }),
    });
    return this.relay;
  }

  closeRelay(leave) {
    const relay = this.relay;
    this.relay = null;
    this.relayNote = null;
    relay?.close(leave);
  }

  /** The server moved the room between mesh and relay: close the old connections, connect the
   * new way. The camera and microphone stay as they are (nothing is asked again). */
  switchTopology(next) {
    if (!this.media || !TOPOLOGIES.has(next) || next === this.topology) return;
    this.topology = next;
    this.media.topology = next;
    this.switchedAt = Date.now();
    // Leaving the relay tells the server (it ends ours there as well, but a page that is slow
    // to notice must not keep media flowing); the mesh links just close: the others switch too.
    this.closeRelay(next === "mesh");
    for (const p of this.people.values()) {
      p.link?.close(false);
      p.link = null;
      for (const kind of KINDS) this.remoteTrack(p, kind, null);
    }
    this.connectAll();
    this.render();
  }

  directions(p) {
    const theySend = this.sends(p.role);
    const out = {};
    for (const kind of KINDS) {
      const iSend = this.publishes && this.allowed[kind];
      out[kind] = iSend && theySend ? "sendrecv" : iSend ? "sendonly" : theySend ? "recvonly" : "inactive";
    }
    return out;
  }

  signal(frame) {
    // In relay topology a late mesh frame (sent before the sender switched) is of no use.
    if (!this.live || typeof frame.from !== "string" || this.topology !== "mesh") return;
    let p = this.people.get(frame.from);
    if (frame.kind === "bye") {
      if (!p) return;
      this.disconnect(p, false);
      this.renderTile(p);
      // They are leaving (then they go offline meanwhile) or starting over (then we connect
      // again; an offer of theirs may come first and connect us sooner).
      setTimeout(quietly(() => {
        if (this.people.get(p.peer) === p && !p.link) this.connect(p);
      }), BYE_GRACE_MS);
      return;
    }
    if (!p && frame.kind === "offer") p = this.person({ peer: frame.from, name: "", role: "" });
    if (!p) return;
    const link = p.link || (frame.kind === "offer" ? this.connect(p) : null);
    link?.receive(frame);
  }

  remoteTrack(p, kind, track) {
    p.tracks[kind] = track;
    if (kind === "audio") this.levels.watch(p.peer, track);
    if (track) track.addEventListener("ended", quietly(() => {
      if (p.tracks[kind] === track) this.remoteTrack(p, kind, null);
    }));
    this.renderTile(p);
  }

  /** Re-applies what is sent on every connection, after a local change. */
  refreshLinks() {
    for (const p of this.people.values()) p.link?.refresh();
    this.relay?.refresh();
  }

  // ---- av state and moderation ----------------------------------------------------------------

  av(frame, live) {
    if (!this.media || !frame?.peer) return;
    const fields = ["mic", "camera", "blurred", "mic_allowed", "camera_allowed"];
    if (this.you && frame.peer === this.you.peer) {
      if (frame.moved === true) this.relay?.republish(); // the room's relay died: publish anew
      return this.ownAllowed(frame, live);
    }
    const p = this.people.get(frame.peer);
    if (!p) return;
    const before = { ...p.av };
    for (const key of fields) if (typeof frame[key] === "boolean") p.av[key] = frame[key];
    // The relay generation: a new number means a new publication to subscribe to, 0 none.
    if (Number.isInteger(frame.relay) && frame.relay >= 0) p.av.relay = frame.relay;
    this.renderTile(p);
    if (p.av.relay !== before.relay) this.relay?.sync();
    if (!live) return;
    const S = this.S;
    const name = p.name || S.someone;
    if (before.mic_allowed !== p.av.mic_allowed) {
      this.announce(format(p.av.mic_allowed ? S.media_mic_allowed_for : S.media_mic_stopped_for, { name }));
    }
    if (before.camera_allowed !== p.av.camera_allowed) {
      this.announce(format(p.av.camera_allowed ? S.media_camera_allowed_for : S.media_camera_stopped_for, { name }));
    }
  }

  /** A moderator stopped (or allowed again) my microphone or camera. */
  ownAllowed(frame, live) {
    const S = this.S;
    const mic = frame.mic_allowed !== false;
    const camera = frame.camera_allowed !== false;
    const changed = [];
    if (mic !== this.allowed.audio) changed.push(mic ? S.media_your_mic_allowed : S.media_your_mic_stopped);
    if (camera !== this.allowed.video) changed.push(camera ? S.media_your_camera_allowed : S.media_your_camera_stopped);
    this.allowed = { audio: mic, video: camera };
    if (!mic) this.capture.setMic(false);
    if (!camera && this.capture.cameraOn) this.capture.setCamera(false);
    if (changed.length) {
      this.refreshLinks(); // a direction changed: the connections renegotiate without it
      if (live) this.announce(changed.join(" "));
    }
    this.changed(false);
  }

  /** A moderator's stop/allow button on someone's tile. */
  control(peer, what) {
    const p = this.people.get(peer);
    if (!p) return;
    const frame = { type: "av_control", peer, mic_allowed: p.av.mic_allowed, camera_allowed: p.av.camera_allowed };
    if (what === "mic") frame.mic_allowed = !p.av.mic_allowed;
    else frame.camera_allowed = !p.av.camera_allowed;
    if (!this.conn.send(frame)) this.notify(this.S.not_connected);
  }

  // ---- my own camera and microphone -----------------------------------------------------------

  async join(video) {
    // No limit here: above the mesh limit the server moves the room to the relay.
    if (this.busy || !this.live || !this.publishes) return;
    this.busy = true;
    this.problem(null);
    this.levels.wake();
    try {
      if (!canCapture()) throw Object.assign(new Error("unsupported"), { name: "TypeError" });
      // Volunteers often do not show their face: hidden from the start, before anything is sent.
      this.capture.setBlurred(this.capture.blurred || this.you?.role === "volunteer");
      const note = await this.capture.start(video && this.allowed.video);
      if (!this.live) {
        this.capture.stop();
        return;
      }
      if (!this.allowed.audio) this.capture.setMic(false);
      if (note) this.problem(this.S.media_no_camera);
      this.changed();
    } catch (error) {
      this.capture.stop();
      this.problem(this.S[`media_${captureProblem(error)}`] || this.S.media_failed);
    } finally {
      this.busy = false;
      this.render();
    }
  }

  leave() {
    this.capture.stop();
    this.levels.forget(ME);
    this.changed();
    this.ui.start?.focus();
  }

  toggleMic() {
    if (!this.allowed.audio || !this.capture.mic) return;
    this.capture.setMic(!this.capture.micOn);
    this.changed();
  }

  async toggleCamera() {
    if (this.busy || !this.allowed.video) return;
    this.busy = true;
    try {
      await this.capture.setCamera(!this.capture.cameraOn);
      this.problem(null);
    } catch (error) {
      this.problem(this.S[`media_${captureProblem(error)}`] || this.S.media_failed);
    } finally {
      this.busy = false;
    }
    this.changed();
  }

  toggleBlur() {
    this.capture.setBlurred(!this.capture.blurred);
    this.changed();
  }

  /** My tracks or choices changed: new tracks to every connection, the new state to the room. */
  changed(send = true) {
    // The room hears of the change first: the relay forwards what `av` says is on, and a new
    // publication is answered only after the server has set that up.
    if (send && this.live && this.publishes) this.sendAv();
    this.refreshLinks();
    this.levels.watch(ME, this.capture.mic);
    this.render();
  }

  ownAv() {
    const c = this.capture;
    return {
      mic: Boolean(c.micOn && this.allowed.audio),
      camera: Boolean(c.cameraOn && this.allowed.video && c.track("video")),
      blurred: Boolean(c.blurred),
    };
  }

  sendAv() {
    this.conn.send({ type: "av", ...this.ownAv() });
  }

  // ---- drawing --------------------------------------------------------------------------------

  render() {
    const { ui, S } = this;
    if (!ui.panel) return;
    const live = this.live;
    ui.panel.hidden = !live;
    ui.panel.classList.toggle("stage", this.media?.mode === "stage");
    if (!live) return;
    const c = this.capture;
    const joined = c.active;
    ui.join.hidden = !this.publishes || joined;
    ui.receiving.hidden = this.publishes;
    ui.controls.hidden = !this.publishes || !joined;
    this.toggle(ui.mic, c.micOn, !c.mic || !this.allowed.audio);
    this.toggle(ui.camera, c.cameraOn, !this.allowed.video);
    this.toggle(ui.blur, c.blurred, false);
    const notes = [];
    if (!this.allowed.audio) notes.push(S.media_your_mic_stopped);
    if (!this.allowed.video) notes.push(S.media_your_camera_stopped);
    if (c.blurred && c.blurBroken) notes.push(S.media_blur_unsupported);
    else if (c.blurred) notes.push(S.media_blur_note);
    ui.note.textContent = notes.join(" ");
    ui.note.hidden = notes.length === 0;
    ui.start.disabled = ui.startAudio.disabled = this.busy;
    if (ui.relayNote) {
      ui.relayNote.textContent = this.relayNote ? S[`err_${this.relayNote}`] || S.err_unknown : "";
      ui.relayNote.hidden = !this.relayNote;
    }
    this.renderOwn();
    this.renderTiles();
  }

  toggle(button, pressed, disabled) {
    button.setAttribute("aria-pressed", String(Boolean(pressed)));
    button.disabled = disabled;
    const state = button.querySelector(".state");
    if (state) state.textContent = pressed ? this.S.media_on : this.S.media_off;
  }

  problem(text) {
    const { problem } = this.ui;
    if (!problem) return;
    problem.textContent = text || "";
    problem.hidden = !text;
  }

  announce(text) {
    const node = this.ui.announcer;
    if (!node || !text) return;
    node.textContent = "";
    setTimeout(() => { node.textContent = text; }, 50);
  }

  renderOwn() {
    if (!this.publishes || !this.capture.active) {
      this.own?.li.remove();
      this.own = null;
      return;
    }
    const me = { peer: this.you.peer, name: this.you.name, role: this.you.role, own: true };
    if (!this.own) {
      this.own = this.tile(me);
      this.ui.tiles.prepend(this.own.li);
    }
    const c = this.capture;
    const video = c.track("video");
    this.show(this.own, {
      video: c.cameraOn && this.allowed.video ? video : null,
      micOff: !c.micOn,
      blurred: c.blurred && c.cameraOn,
      micStopped: !this.allowed.audio,
      cameraStopped: !this.allowed.video,
    });
  }

  renderTiles() {
    const list = this.ui.tiles;
    if (!list) return;
    list.classList.toggle("stage", this.media?.mode === "stage");
    const count = list.children.length;
    list.dataset.count = String(Math.min(count, 9));
    this.renderStage();
  }

  // ---- the speaker view (stage sessions) ------------------------------------------------------

  /** Levels heard someone start or stop speaking. */
  speaking(key, on) {
    this.tileOf(key)?.li.classList.toggle("speaking", on);
    if (on && this.media?.mode === "stage" && key !== ME) this.feature(key);
  }

  /** On a stage the last person heard speaking gets the big tile, held for a moment so that
   * two people talking over each other do not make the picture jump back and forth. */
  feature(key) {
    const now = Date.now();
    const current = this.speaker;
    clearTimeout(this.speakerTimer);
    if (current?.key !== key && current && this.tileOf(current.key) && now - current.at < SPEAKER_HOLD_MS) {
      this.speakerTimer = setTimeout(quietly(() => {
        if (this.levels.sources.get(key)?.speaking) this.feature(key);
      }), current.at + SPEAKER_HOLD_MS - now);
      return;
    }
    if (current?.key !== key) this.speaker = { key, at: now };
    this.renderStage();
  }

  /** The big tile: the current speaker; before anyone has spoken (or when the sound cannot be
   * analysed yet) the first facilitator or volunteer whose video shows. The tiles keep their
   * order in the page (screen readers read the same list); only the layout changes. */
  renderStage() {
    const stage = this.media?.mode === "stage";
    const tiles = [this.own, ...[...this.people.values()].map((p) => p.tile)].filter(Boolean);
    let featured = null;
    let spoke = false;
    if (stage) {
      const heard = this.speaker && this.tileOf(this.speaker.key);
      if (heard) {
        featured = heard;
        spoke = true;
      } else {
        const others = [...this.people.values()].filter((p) => p.tile)
          .sort((a, b) => (STAGE_ORDER[a.role] ?? 9) - (STAGE_ORDER[b.role] ?? 9));
        featured = (others.find((p) => p.tile.video) || others[0])?.tile || this.own;
      }
    }
    for (const tile of tiles) {
      const on = tile === featured;
      tile.li.classList.toggle("featured", on);
      const label = on && spoke ? format(this.S.media_speaking_now, { name: tile.name }) : "";
      if (tile.parts.speakingNow.textContent !== label) tile.parts.speakingNow.textContent = label;
    }
  }

  tileOf(key) {
    return key === ME ? this.own : this.people.get(key)?.tile;
  }

  /** My tile or someone's, created once. */
  tile(p) {
    const { S } = this;
    const video = el("video", { class: "tile-video", playsinline: true, autoplay: true, muted: true, hidden: true });
    video.muted = true;
    const avatar = el("div", { class: "tile-avatar", "aria-hidden": "true" },
      el("span", { text: (p.name || "?").trim().charAt(0).toLocaleUpperCase() || "?" }));
    const badge = (text, cls = "") => el("span", { class: `tile-badge ${cls}`, text, hidden: true });
    const parts = {
      video, avatar,
      name: el("span", { class: "tile-name-text", text: p.name || S.someone }),
      micOff: badge(S.media_mic_off, "mic-off"),
      blurred: badge(S.media_face_hidden),
      micStopped: badge(S.media_mic_stopped, "stopped mic-stopped"),
      cameraStopped: badge(S.media_camera_stopped, "stopped camera-stopped"),
      connecting: badge(S.media_link_connecting),
      audio: p.own ? null : el("audio", { class: "tile-audio", autoplay: true, "data-peer": p.peer }),
      actions: null,
      // "Speaking now: …" on a stage's big tile, for screen readers; not a live region, so a
      // change of speaker is not announced (that would drown everything else).
      speakingNow: el("span", { class: "visually-hidden" }),
    };
    const roleLabel = p.role && p.role !== "parent" ? S[`role_${p.role}`] : null;
    const li = el("li", { class: `media-tile${p.own ? " own" : ""}`, "data-peer": p.peer },
      parts.speakingNow,
      el("div", { class: "tile-frame" }, video, avatar),
      el("p", { class: "tile-name" }, parts.name,
        p.own ? el("span", { class: "msg-you", text: ` ${S.you}` }) : null,
        roleLabel ? el("span", { class: `badge role-${p.role}`, text: roleLabel }) : null),
      el("p", { class: "tile-state" }, parts.micOff, parts.micStopped, parts.cameraStopped, parts.blurred, parts.connecting),
      parts.audio);
    if (!p.own) {
      parts.stopMic = el("button", { type: "button", class: "quiet", "data-media": "mic", "data-peer": p.peer });
      parts.stopCamera = el("button", { type: "button", class: "quiet", "data-media": "camera", "data-peer": p.peer });
      parts.actions = el("div", { class: "actions tile-actions mod-only" }, parts.stopMic, parts.stopCamera);
      li.append(parts.actions);
    }
    return { li, parts, key: p.own ? ME : p.peer, name: p.name || S.someone, video: null, audio: null };
  }

  /** Whether `p` has a tile: in a group everyone online; on a stage only those on it now
   * (publishing, or with a microphone or camera on), not staff who only watch. */
  onStage(p) {
    if (!this.media || !p.online || !this.sends(p.role) || !this.live) return false;
    return this.media.mode !== "stage" || Number(p.av.relay) > 0 || p.av.mic || p.av.camera;
  }

  renderTile(p) {
    if (!this.onStage(p)) {
      if (p.tile) {
        p.tile.li.remove();
        p.tile = null;
        this.renderTiles();
      }
      return;
    }
    if (!p.tile) {
      p.tile = this.tile(p);
      this.ui.tiles.append(p.tile.li);
      this.renderTiles();
    }
    const { parts } = p.tile;
    parts.name.textContent = p.tile.name = p.name || this.S.someone;
    parts.avatar.firstChild.textContent = (p.name || "?").trim().charAt(0).toLocaleUpperCase() || "?";
    const { av, tracks } = p;
    // Stopped by a facilitator: silenced and hidden here at once, whatever the sender does.
    if (tracks.audio) tracks.audio.enabled = av.mic_allowed;
    if (tracks.video) tracks.video.enabled = av.camera_allowed;
    this.show(p.tile, {
      video: av.camera && av.camera_allowed ? tracks.video : null,
      audio: tracks.audio || null,
      muted: !av.mic_allowed,
      micOff: !av.mic,
      blurred: av.blurred && av.camera,
      micStopped: !av.mic_allowed,
      cameraStopped: !av.camera_allowed,
      connecting: Boolean(this.linkOf(p)) && !["connected", "completed"].includes(this.linkOf(p).pc.connectionState),
    });
    const S = this.S;
    const name = ` ${p.name || S.someone}`;
    parts.stopMic.replaceChildren(av.mic_allowed ? S.media_stop_mic : S.media_allow_mic, el("span", { class: "visually-hidden", text: name }));
    parts.stopCamera.replaceChildren(av.camera_allowed ? S.media_stop_camera : S.media_allow_camera, el("span", { class: "visually-hidden", text: name }));
    if (this.media.mode === "stage") this.renderStage(); // whose video shows decides the big tile
  }

  /** Puts tracks and badges on a tile. */
  show(tile, state) {
    const { parts } = tile;
    if (tile.video !== state.video) {
      tile.video = state.video;
      parts.video.srcObject = state.video ? new MediaStream([state.video]) : null;
      if (state.video) parts.video.play().catch(() => {});
    }
    parts.video.hidden = !state.video;
    parts.avatar.hidden = Boolean(state.video);
    if (parts.audio) {
      if (tile.audio !== state.audio) {
        tile.audio = state.audio;
        parts.audio.srcObject = state.audio ? new MediaStream([state.audio]) : null;
        if (state.audio) this.play(parts.audio);
      }
      parts.audio.muted = Boolean(state.muted);
    }
    for (const key of ["micOff", "blurred", "micStopped", "cameraStopped", "connecting"]) {
      if (parts[key]) parts[key].hidden = !state[key];
    }
    if (state.micStopped) parts.micOff.hidden = true; // the stronger badge says it
    tile.li.classList.toggle("camera-off", !state.video);
  }

  play(audio) {
    audio.play().then(() => {
      this.blocked.delete(audio);
      this.renderSound();
    }).catch((error) => {
      if (error?.name !== "NotAllowedError") return;
      this.blocked.add(audio);
      this.renderSound();
    });
  }

  unblock() {
    this.levels.wake();
    for (const audio of [...this.blocked]) {
      this.blocked.delete(audio);
      if (audio.isConnected && audio.srcObject) this.play(audio);
    }
    this.renderSound();
  }

  renderSound() {
    if (this.ui.sound) this.ui.sound.hidden = this.blocked.size === 0;
  }

  // ---- for the browser tests ------------------------------------------------------------------

  /** Read-only view for tests: each connection and what it has decoded. */
  debug() {
    const linked = () => [...this.people.values()].filter((p) => this.linkOf(p));
    return Object.freeze({
      topology: () => this.topology,
      /** Every connection: mesh links and relay subscriptions by person; the publication to
       * the relay as `{peer: null, relay: true}`. */
      connections: () => {
        const out = linked().map((p) => ({ peer: p.peer, name: p.name, pc: this.linkOf(p).pc, relay: !p.link }));
        const pub = this.relay?.publication;
        if (pub) out.push({ peer: null, name: null, pc: pub.pc, relay: true });
        return out;
      },
      stats: async () => {
        const out = {};
        for (const p of linked()) out[p.name || p.peer] = await this.linkOf(p).stats();
        return out;
      },
      /** What this page sends to the relay, per kind (outbound packets and frames). */
      published: async () => (this.relay?.publication ? this.relay.publication.stats() : null),
    });
  }
}
