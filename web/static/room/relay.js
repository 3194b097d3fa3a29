// Media through Tupa's relay (docs/protocol.md, "Topology: mesh or relay"): one connection that
// publishes this person's microphone and camera to the relay, and one subscription per other
// publisher. Used for stage sessions and for groups larger than the mesh limit.
//
// The relay (aiortc) does not trickle ICE: every SDP it sends holds all its candidates and it
// expects the same, so each offer or answer here waits for ICE gathering to finish first.
// It forwards Opus and VP8 only, so those are the codecs offered.
//
// The legs have the same surface as mesh.js's PeerLink where media.js needs it (`pc`, `close()`,
// `refresh()`, `stats()`), so tiles, the "connecting" badge and the test hooks work unchanged.

import { backoffDelay } from "./connection.js";
import { mediaStats } from "./mesh.js";

const KINDS = ["audio", "video"];
const GATHER_MS = 3000; // ICE gathering longer than this: send the candidates found so far
const REPLY_WAIT_MS = 15000; // no answer (or offer) from the relay this long: try again
const CONNECT_WAIT_MS = 20000; // negotiated but not connected this long: try again
const MAX_TRIES = 8; // then give up until something changes (a new publication, a reconnect)
const MAX_WAITING = 64; // requests remembered for their replies (a safety bound, never reached)
const MAX_BAD_SDP_TRIES = 2; // an SDP the relay cannot use once is unlikely to work the third time
const FORWARDED = { audio: ["audio/opus"], video: ["video/vp8", "video/rtx"] };
// Error frames answering our relay frames carry a cid with this prefix (see RoomMedia.quiet).
export const RELAY_CID_PREFIX = "relay-";

let counter = 0;
function newCid() {
  counter += 1;
  return `${RELAY_CID_PREFIX}${counter}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Resolves once the connection has gathered its ICE candidates, or after `ms` (a STUN or TURN
 * server that does not answer must not hold the video up for ever: what was found is sent). */
export function gathered(pc, ms = GATHER_MS) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    const timer = setTimeout(done, ms);
    pc.addEventListener("icegatheringstatechange", check);
    return undefined;
  });
}

/** Offers only what the relay forwards (Opus; VP8 and its retransmissions), so the relay's
 * answer cannot pick a codec it would have to refuse, and the SDP stays small. Browsers
 * without setCodecPreferences offer everything; the relay then picks Opus and VP8 itself. */
function preferForwarded(transceiver, kind) {
  if (typeof transceiver.setCodecPreferences !== "function") return;
  for (const source of [globalThis.RTCRtpReceiver, globalThis.RTCRtpSender]) {
    const codecs = (source?.getCapabilities?.(kind)?.codecs || [])
      .filter((codec) => FORWARDED[kind].includes(codec.mimeType.toLowerCase()));
    if (!codecs.some((codec) => codec.mimeType.toLowerCase() === FORWARDED[kind][0])) continue;
    try {
      transceiver.setCodecPreferences(codecs);
      return;
    } catch {
      // this browser checks the list against the other capabilities: try those
    }
  }
}

/** One RTCPeerConnection to the relay. */
class Leg {
  constructor(config, onstate) {
    this.closed = false;
    this.pc = new RTCPeerConnection({
      iceServers: config.iceServers || [],
      iceTransportPolicy: config.iceTransportPolicy || "all",
      bundlePolicy: "max-bundle", // one transport: one set of candidates to gather
    });
    this.pc.onconnectionstatechange = () => {
      if (!this.closed) onstate(this, this.pc.connectionState);
    };
  }

  get connected() {
    return ["connected", "completed"].includes(this.pc.connectionState);
  }

  refresh() {
    return false;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    const pc = this.pc;
    pc.onconnectionstatechange = pc.ontrack = null;
    try {
      pc.close();
    } catch {
      // closed already
    }
  }

  /** Per kind what arrived (subscriptions) or left (the publication): for tests and checks. */
  stats() {
    return mediaStats(this.pc, true);
  }
}

/** This person's microphone and camera, sent once to the relay. */
export class Publication extends Leg {
  constructor(config, onstate, { tracks, allowed }) {
    super(config, onstate);
    this.tracks = tracks;
    this.allowed = allowed;
    this.sending = {}; // kind → negotiated as sending
  }

  /** The offer, complete with candidates. A kind a moderator stopped is offered "inactive":
   * the server refuses an SDP that would send it. A kind that is allowed is always offered
   * as sending, even with no track yet, so that turning the camera on later needs no new
   * negotiation (replaceTrack). */
  async offer() {
    for (const kind of KINDS) {
      const send = Boolean(this.allowed(kind));
      this.sending[kind] = send;
      const track = send ? this.tracks(kind) : null;
      const transceiver = this.pc.addTransceiver(track || kind, { direction: send ? "sendonly" : "inactive" });
      preferForwarded(transceiver, kind);
    }
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await gathered(this.pc);
    return this.pc.localDescription.sdp;
  }

  async accept(sdp) {
    await this.pc.setRemoteDescription({ type: "answer", sdp });
  }

  /** Follows the capture's current tracks (camera on or off, the face hidden or shown: each a
   * different track) without renegotiating. A microphone a moderator stopped keeps its
   * (disabled) track: the relay holds it back, whatever this browser sends. Returns true when
   * a kind negotiated "inactive" may now be sent: that takes a new publication. */
  refresh() {
    if (this.closed) return false;
    let again = false;
    for (const transceiver of this.pc.getTransceivers()) {
      const kind = transceiver.receiver.track?.kind;
      if (!KINDS.includes(kind) || transceiver.currentDirection === "stopped") continue;
      if (!this.sending[kind]) {
        if (this.allowed(kind)) again = true;
        continue;
      }
      const track = this.tracks(kind) || null;
      if (transceiver.sender.track !== track) transceiver.sender.replaceTrack(track).catch(() => {});
    }
    return again;
  }
}

/** One other publisher's audio and video, received from the relay. */
export class Subscription extends Leg {
  constructor(config, onstate, { publisher, generation, ontrack }) {
    super(config, onstate);
    this.publisher = publisher;
    this.generation = generation;
    this.pc.ontrack = ({ track }) => ontrack(track.kind, track);
  }

  /** The answer to the relay's offer: receive only, complete with candidates. */
  async answer(sdp) {
    await this.pc.setRemoteDescription({ type: "offer", sdp });
    for (const transceiver of this.pc.getTransceivers()) transceiver.direction = "recvonly";
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await gathered(this.pc);
    return this.pc.localDescription.sdp;
  }
}

/**
 * Everything of one person's at the relay: the publication and the subscriptions, the requests
 * to the server and their answers, and trying again (with backoff, a bounded number of times)
 * when something fails. `sync()` makes it match what media.js wants.
 *
 * @param {object} o
 * @param {(frame: object) => boolean} o.send a frame on the room socket
 * @param {() => {iceServers: RTCIceServer[], iceTransportPolicy: string}} o.config
 * @param {() => boolean} o.wantPublish whether this person should be publishing now
 * @param {() => Map<string, number>} o.publishers peer → generation (av.relay) to subscribe to
 * @param {(kind: string) => MediaStreamTrack | null} o.tracks
 * @param {(kind: string) => boolean} o.allowed whether a moderator lets this person send `kind`
 * @param {(peer: string, kind: string, track: MediaStreamTrack | null) => void} o.ontrack
 * @param {(peer: string | null) => void} o.onstate a leg's state changed (null: the publication)
 * @param {(code: string | null) => void} o.onnote a problem worth showing ("relay_unavailable",
 *   "bad_sdp"), or null when media flows again
 */
export class RelayMedia {
  constructor(o) {
    this.o = o;
    this.closed = false;
    this.pub = { leg: null, tries: 0, timer: null, halted: false, reason: null };
    this.subs = new Map(); // peer → {leg, generation, tries, timer, halted, reason}
    this.requests = new Map(); // cid → {kind, peer, leg}; in the order sent
    this.syncing = false;
  }

  get publication() {
    return this.pub.leg;
  }

  subscription(peer) {
    return this.subs.get(peer)?.leg || null;
  }

  // ---- what should exist ----------------------------------------------------------------------

  sync() {
    if (this.closed || this.syncing) return;
    this.syncing = true;
    try {
      this.syncPublication();
      this.syncSubscriptions();
    } finally {
      this.syncing = false;
    }
  }

  syncPublication() {
    const pub = this.pub;
    if (!this.o.wantPublish()) {
      if (pub.leg) this.request({ type: "relay", kind: "unpublish" });
      this.end(pub, null);
      pub.tries = 0;
      pub.halted = false;
      return;
    }
    if (pub.leg || pub.timer || pub.halted) return;
    this.publish();
  }

  syncSubscriptions() {
    const wanted = this.o.publishers();
    for (const [peer, sub] of this.subs) {
      if (wanted.get(peer) !== sub.generation) this.unsubscribe(peer);
    }
    for (const [peer, generation] of wanted) {
      let sub = this.subs.get(peer);
      if (!sub) {
        sub = { leg: null, generation, tries: 0, timer: null, halted: false, reason: null };
        this.subs.set(peer, sub);
      }
      if (!sub.leg && !sub.timer && !sub.halted) this.subscribe(peer, sub);
    }
  }

  /** The capture's tracks or what a moderator allows changed. */
  refresh() {
    if (this.closed) return;
    if (this.pub.halted && this.pub.reason !== "not_allowed") {
      // The person changed something (camera, microphone…): worth another go after giving up.
      this.pub.halted = false;
      this.pub.tries = 0;
    }
    const leg = this.pub.leg;
    if (leg && leg.refresh()) {
      // A kind offered "inactive" is allowed again: publish anew (the relay replaces the old
      // publication; the others subscribe to the new one).
      this.end(this.pub, null);
      this.pub.tries = 0;
    }
    this.sync();
  }

  /** The server moved the room to another relay (its own `av` with `moved`): the publication
   * at the old one is gone; publish anew at once (the others resubscribe to the new one). */
  republish() {
    if (this.closed) return;
    this.end(this.pub, null);
    this.pub.tries = 0;
    this.pub.halted = false;
    this.sync();
  }

  unsubscribe(peer) {
    const sub = this.subs.get(peer);
    if (!sub) return;
    this.end(sub, peer);
    this.subs.delete(peer);
  }

  /** Everything ends here; `leave` tells the server (switching back to the mesh). */
  close(leave = false) {
    if (this.closed) return;
    if (leave) this.o.send({ type: "relay", kind: "leave", cid: newCid() });
    this.end(this.pub, null);
    for (const peer of [...this.subs.keys()]) this.unsubscribe(peer);
    this.requests.clear();
    this.closed = true;
  }

  // ---- negotiating ----------------------------------------------------------------------------

  request(frame, entry = null) {
    const cid = newCid();
    if (entry) this.requests.set(cid, entry);
    if (this.requests.size > MAX_WAITING) this.requests.delete(this.requests.keys().next().value);
    if (!this.o.send({ ...frame, cid })) {
      this.requests.delete(cid);
      return null;
    }
    return cid;
  }

  async publish() {
    const pub = this.pub;
    const leg = new Publication(this.o.config(), (l, state) => this.onstate(pub, null, l, state), {
      tracks: this.o.tracks,
      allowed: this.o.allowed,
    });
    pub.leg = leg;
    this.o.onstate(null);
    try {
      const sdp = await leg.offer();
      if (leg !== pub.leg) return;
      if (!this.request({ type: "relay", kind: "publish", sdp }, { kind: "publish", peer: null, leg })) {
        this.fail(pub, null, leg, "offline");
        return;
      }
      this.deadline(pub, null, leg, REPLY_WAIT_MS);
    } catch (error) {
      console.error("media: publishing failed", error);
      this.fail(pub, null, leg, "local");
    }
  }

  subscribe(peer, sub) {
    const leg = new Subscription(this.o.config(), (l, state) => this.onstate(sub, peer, l, state), {
      publisher: peer,
      generation: sub.generation,
      ontrack: (kind, track) => {
        if (sub.leg === leg) this.o.ontrack(peer, kind, track);
      },
    });
    sub.leg = leg;
    this.o.onstate(peer);
    if (!this.request({ type: "relay", kind: "subscribe", publisher: peer }, { kind: "subscribe", peer, leg })) {
      this.fail(sub, peer, leg, "offline");
      return;
    }
    this.deadline(sub, peer, leg, REPLY_WAIT_MS);
  }

  /** A `relay` frame from the server: the answer to our publication or a subscription's offer.
   * They carry no cid; the server answers one socket's relay requests in the order sent, so
   * each goes to the oldest request still waiting for its kind (and publisher). */
  take(frame) {
    if (this.closed) return;
    const match = (entry) => (frame.kind === "answer"
      ? entry.kind === "publish"
      : entry.kind === "subscribe" && entry.peer === frame.publisher);
    let cid = typeof frame.cid === "string" && this.requests.has(frame.cid) ? frame.cid : null;
    if (!cid) cid = [...this.requests].find(([, entry]) => match(entry))?.[0] || null;
    if (!cid || typeof frame.sdp !== "string") return;
    const entry = this.requests.get(cid);
    this.requests.delete(cid);
    if (entry.leg.closed) return; // an answer for a connection replaced meanwhile
    if (frame.kind === "answer") this.accepted(entry.leg, frame.sdp);
    else if (frame.kind === "offer") this.offered(entry.peer, entry.leg, frame.sdp);
  }

  async accepted(leg, sdp) {
    const pub = this.pub;
    try {
      await leg.accept(sdp);
      if (leg === pub.leg) this.deadline(pub, null, leg, CONNECT_WAIT_MS);
    } catch (error) {
      console.error("media: the relay's answer", error);
      if (leg === pub.leg) this.fail(pub, null, leg, "local");
    }
  }

  async offered(peer, leg, sdp) {
    const sub = this.subs.get(peer);
    if (!sub || sub.leg !== leg) return;
    try {
      const answer = await leg.answer(sdp);
      if (sub.leg !== leg) return;
      const entry = { kind: "answer", peer, leg };
      if (!this.request({ type: "relay", kind: "answer", publisher: peer, sdp: answer }, entry)) {
        this.fail(sub, peer, leg, "offline");
        return;
      }
      this.deadline(sub, peer, leg, CONNECT_WAIT_MS);
    } catch (error) {
      console.error("media: the relay's offer", error);
      if (sub.leg === leg) this.fail(sub, peer, leg, "local");
    }
  }

  /** An `error` frame answering one of our relay frames (its cid). Returns true when it was. */
  error(frame) {
    if (typeof frame.cid !== "string" || !frame.cid.startsWith(RELAY_CID_PREFIX)) return false;
    const entry = this.requests.get(frame.cid);
    this.requests.delete(frame.cid);
    if (!entry || this.closed || entry.leg.closed) return true;
    const target = entry.peer === null ? this.pub : this.subs.get(entry.peer);
    if (!target || target.leg !== entry.leg) return true;
    this.fail(target, entry.peer, entry.leg, frame.code);
    return true;
  }

  onstate(target, peer, leg, state) {
    if (target.leg !== leg) return;
    if (leg.connected) {
      clearTimeout(target.timer);
      target.timer = null;
      target.tries = 0;
      for (const [cid, entry] of this.requests) if (entry.leg === leg) this.requests.delete(cid);
      this.o.onnote(null);
    } else if (state === "failed") {
      this.fail(target, peer, leg, "failed");
    }
    this.o.onstate(peer);
  }

  deadline(target, peer, leg, ms) {
    clearTimeout(target.timer);
    target.timer = setTimeout(() => {
      target.timer = null;
      if (target.leg === leg && !leg.connected) this.fail(target, peer, leg, "timeout");
    }, ms);
  }

  /** Something went wrong with a leg: close it, and try again later unless that cannot help. */
  fail(target, peer, leg, reason) {
    if (this.closed || target.leg !== leg) return;
    this.end(target, peer);
    if (reason === "relay_unavailable" || reason === "bad_sdp") this.o.onnote(reason);
    // unknown_peer: the publisher stopped meanwhile (a new av.relay brings them back);
    // not_allowed: this person may not publish here. Neither improves by trying again.
    const hopeless = reason === "not_allowed" || (reason === "unknown_peer" && peer !== null);
    target.tries += 1;
    target.reason = reason;
    if (hopeless || target.tries > (reason === "bad_sdp" ? MAX_BAD_SDP_TRIES : MAX_TRIES)) {
      target.halted = true;
      return;
    }
    // wrong_mode: the room has just moved to the mesh; its `topology` frame closes all this.
    target.timer = setTimeout(() => {
      target.timer = null;
      this.sync();
    }, backoffDelay(target.tries - 1));
  }

  /** Closes a target's leg and forgets its tracks. */
  end(target, peer) {
    clearTimeout(target.timer);
    target.timer = null;
    const leg = target.leg;
    if (!leg) return;
    target.leg = null;
    leg.close();
    // A publish or subscribe stays listed until the server replies: replies carry no cid and
    // are matched by order, so a late one must still find its (closed) request, not a newer one.
    for (const [cid, entry] of this.requests) {
      if (entry.leg === leg && entry.kind === "answer") this.requests.delete(cid);
    }
    if (peer !== null) for (const kind of KINDS) this.o.ontrack(peer, kind, null);
    this.o.onstate(peer);
  }
}
