// Video and audio in `group` and `stage` sessions (docs/protocol.md, "Media"): the tiles, the
// person's own controls, moderators' stop buttons, and the connections: one PeerLink per other
// person in a mesh, or a publication and one subscription per publisher through the relay
// (relay.js), as the server's `topology` says. Switching between them keeps the capture.
//
// Media must never break the chat: every entry point catches its own errors, and the page loads
// this module separately (main.js), so a browser that cannot run it still has the chat.
// Names on tiles come only from the room's member list (pseudonyms and aliases).
//
// Its methods are grouped by concern in media_links.js, media_av.js and media_tiles.js and mixed
// into RoomMedia here.

import { Capture, Levels } from "./capture.js";
import { RoomMediaAv } from "./media_av.js";
import { quietly } from "./media_common.js";
import { RoomMediaLinks } from "./media_links.js";
import { RoomMediaTiles } from "./media_tiles.js";
import { mixIn } from "./mixin.js";
import { RELAY_CID_PREFIX, RelayMedia } from "./relay.js";

const STAGE_SENDERS = new Set(["facilitator", "coordinator", "volunteer"]);
const MODES = new Set(["group", "stage"]);
const KEYS = ["mic", "camera", "blurred"];
const SWITCH_QUIET_MS = 10000; // mesh frames refused this soon after a topology change are expected

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

mixIn(RoomMedia, RoomMediaLinks, RoomMediaAv, RoomMediaTiles);
