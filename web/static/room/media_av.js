// The room media's camera and microphone state: everyone's av frames, moderators' stops, and one's own.
import { canCapture, captureProblem } from "./capture.js";
import { ME } from "./media_common.js";
import { format } from "./text.js";

/** Methods of RoomMedia (media.js mixes them in): they read and write its state through `this`. */
export class RoomMediaAv {
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
}
