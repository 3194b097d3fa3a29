// One WebRTC connection to one other person in the room, negotiated over the room's socket with
// `signal` frames (docs/protocol.md, "Media"). MDN's "perfect negotiation": either side may offer;
// when offers cross, the polite side gives way. A side that may not offer (the stage audience)
// only answers.
//
// What each side sends is set per kind by `directions()` ("sendrecv", "sendonly", "recvonly",
// "inactive") and `tracks()`; both are applied before every offer and answer, so an SDP never
// says it sends what the server would refuse (the audience, a stopped microphone or camera).

const OFFER_WAIT_MS = 15000; // an offer unanswered this long is made again (the answer may have been refused)
const OFFER_TRIES = 3;

/** Which of two people offers first and who gives way, from peer ids and who may send.
 * Returns {polite, opens}: `opens` adds the transceivers and makes the first offer. */
export function roles(me, them, iSend, theySend) {
  if (iSend && !theySend) return { polite: false, opens: true };
  if (!iSend && theySend) return { polite: true, opens: false };
  const polite = me < them;
  return { polite, opens: !polite };
}

export class PeerLink {
  /**
   * @param {object} o
   * @param {string} o.peer the other person
   * @param {boolean} o.polite gives way when offers cross
   * @param {boolean} o.opens adds audio and video transceivers now and offers
   * @param {boolean} o.mayOffer false for the audience: answers only
   * @param {RTCIceServer[]} o.iceServers
   * @param {RTCIceTransportPolicy} [o.iceTransportPolicy] "relay" when TURN is set up: nobody learns another's IP
   * @param {() => {audio: string, video: string}} o.directions
   * @param {(kind: string) => MediaStreamTrack | null} o.tracks
   * @param {(frame: object) => boolean} o.send sends a `signal` frame's fields (to, kind, …)
   * @param {(kind: string, track: MediaStreamTrack) => void} o.ontrack
   * @param {(state: string) => void} o.onstate
   * @param {(offer: object) => void} [o.onreset] an offer that only a new connection can take
   */
  constructor(o) {
    this.o = o;
    this.peer = o.peer;
    this.polite = o.polite;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.closed = false;
    this.queue = Promise.resolve();
    this.tries = 0;
    this.timer = null;
    const pc = new RTCPeerConnection({
      iceServers: o.iceServers || [],
      iceTransportPolicy: o.iceTransportPolicy || "all",
    });
    this.pc = pc;
    pc.onicecandidate = ({ candidate }) => {
      if (candidate && !candidate.candidate) return; // an empty end-of-generation marker
      this.signal("candidate", {
        candidate: candidate
          ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? null, sdpMLineIndex: candidate.sdpMLineIndex ?? null }
          : null,
      });
    };
    pc.onnegotiationneeded = () => this.negotiate();
    pc.ontrack = ({ track }) => o.ontrack(track.kind, track);
    pc.onconnectionstatechange = () => {
      if (this.closed) return;
      if (pc.connectionState === "failed" && o.mayOffer) pc.restartIce();
      o.onstate(pc.connectionState);
    };
    if (o.opens) {
      const dirs = o.directions();
      for (const kind of ["audio", "video"]) pc.addTransceiver(o.tracks(kind) || kind, { direction: dirs[kind] });
    }
  }

  signal(kind, fields = {}) {
    if (!this.closed) this.o.send({ type: "signal", to: this.peer, kind, ...fields });
  }

  /** Applies the wanted directions and tracks to every transceiver. Changing a direction makes
   * the browser ask for a new negotiation; changing a track does not. */
  prepare() {
    const dirs = this.o.directions();
    for (const transceiver of this.pc.getTransceivers()) {
      if (transceiver.stopped || transceiver.currentDirection === "stopped") continue;
      const kind = transceiver.receiver.track.kind;
      if (!(kind in dirs)) continue;
      if (transceiver.direction !== dirs[kind]) transceiver.direction = dirs[kind];
      const track = dirs[kind] === "sendrecv" || dirs[kind] === "sendonly" ? this.o.tracks(kind) : null;
      if (transceiver.sender.track !== track) transceiver.sender.replaceTrack(track).catch(() => {});
    }
  }

  /** The local tracks or what may be sent changed. */
  refresh() {
    if (this.closed) return;
    try {
      this.prepare();
    } catch {
      // a transceiver that went away meanwhile
    }
  }

  async negotiate() {
    if (this.closed || !this.o.mayOffer) return;
    try {
      this.makingOffer = true;
      this.prepare();
      await this.pc.setLocalDescription();
      const { type, sdp } = this.pc.localDescription;
      if (type === "offer") {
        this.signal("offer", { sdp });
        this.watch();
      }
    } catch {
      // a newer negotiation took over
    } finally {
      this.makingOffer = false;
    }
  }

  /** An offer that stays unanswered (the other side's answer refused, or lost) is made again. */
  watch() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.closed || this.pc.signalingState !== "have-local-offer") return;
      if (++this.tries <= OFFER_TRIES) this.negotiate();
    }, OFFER_WAIT_MS);
  }

  /** A `signal` frame from this person; handled strictly in arrival order. */
  receive(frame) {
    this.queue = this.queue.then(() => this.handle(frame)).catch(() => {});
    return this.queue;
  }

  async handle(frame) {
    if (this.closed) return;
    const pc = this.pc;
    if (frame.kind === "offer" || frame.kind === "answer") {
      if (typeof frame.sdp !== "string") return;
      const collision = frame.kind === "offer" && (this.makingOffer || pc.signalingState !== "stable");
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      if (frame.kind === "answer" && pc.signalingState !== "have-local-offer") return; // stale
      try {
        await pc.setRemoteDescription({ type: frame.kind, sdp: frame.sdp });
      } catch (error) {
        // An offer this connection cannot take: the other side started over (a reload).
        if (frame.kind === "offer" && this.o.onreset) return this.o.onreset(frame);
        throw error;
      }
      if (frame.kind === "answer") {
        clearTimeout(this.timer);
        this.tries = 0;
        return;
      }
      this.prepare(); // e.g. the audience answers recvonly, whatever the offer proposed
      await pc.setLocalDescription();
      this.signal("answer", { sdp: pc.localDescription.sdp });
    } else if (frame.kind === "candidate") {
      try {
        if (frame.candidate && typeof frame.candidate === "object") await pc.addIceCandidate(frame.candidate);
        else await pc.addIceCandidate();
      } catch (error) {
        if (!this.ignoreOffer) throw error;
      }
    }
  }

  /** Ends the connection; `bye` tells the other side (only when it is still in the room). */
  close(bye = false) {
    if (this.closed) return;
    if (bye) this.signal("bye");
    this.closed = true;
    clearTimeout(this.timer);
    const pc = this.pc;
    pc.onicecandidate = pc.onnegotiationneeded = pc.ontrack = pc.onconnectionstatechange = null;
    try {
      pc.close();
    } catch {
      // closed already
    }
  }

  /** Frames decoded per kind: for tests and for the "is it working" check. */
  stats() {
    return mediaStats(this.pc, false);
  }
}

/** Per kind what a connection received (and, with `sent`, what it sent; a connection to the
 * relay only does one of the two, so the kinds do not collide). */
export async function mediaStats(pc, sent) {
  const out = {};
  const report = await pc.getStats();
  report.forEach((entry) => {
    const kind = entry.kind || entry.mediaType;
    if (entry.type === "inbound-rtp") {
      out[kind] = { framesDecoded: entry.framesDecoded, bytesReceived: entry.bytesReceived, packetsReceived: entry.packetsReceived };
    } else if (sent && entry.type === "outbound-rtp") {
      out[kind] = { framesEncoded: entry.framesEncoded, bytesSent: entry.bytesSent, packetsSent: entry.packetsSent };
    }
  });
  return out;
}
