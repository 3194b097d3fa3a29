// The room media's drawing: own controls, the tiles, the speaker view on a stage, and sound.
import { el } from "./dom.js";
import { ME, quietly } from "./media_common.js";
import { format } from "./text.js";

const STAGE_ORDER = { facilitator: 0, coordinator: 1, volunteer: 2 }; // who is big before anyone speaks
const SPEAKER_HOLD_MS = 1500; // the big tile on a stage changes at most this often (no flicker)

/** Methods of RoomMedia (media.js mixes them in): they read and write its state through `this`. */
export class RoomMediaTiles {
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
}
