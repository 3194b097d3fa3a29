// The room media's connections: mesh links per person or the relay, and switching between them.
import { quietly } from "./media_common.js";
import { PeerLink, roles } from "./mesh.js";
import { RelayMedia } from "./relay.js";

const KINDS = ["audio", "video"];
const BYE_GRACE_MS = 1500; // after a `bye`, wait this long before connecting again (they may be leaving)
const TOPOLOGIES = new Set(["mesh", "relay"]);

/** Methods of RoomMedia (media.js mixes them in): they read and write its state through `this`. */
export class RoomMediaLinks {
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
}
