// The person's own camera and microphone: capture, the hidden face, and speaking levels.
//
// Hidden face: the camera is drawn into a canvas through a strong blur, and the canvas's own
// stream is what leaves the device. `track("video")` is the only way the rest of the page gets a
// video track to send, and while the face is hidden it never returns the camera's own track.

const WIDTH = 640; // the blurred picture is at most this wide
const FPS = 15;
const LEVEL_MS = 150; // speaking levels are read this often (no faster)
const SPEAKING = 0.035; // RMS of the waveform above which someone is taken to be speaking
const HOLD = 3; // readings a speaker stays "speaking" after going quiet (no flicker)

/** getUserMedia's failure as one of our reasons: denied, no_device, busy, unsupported, failed. */
export function captureProblem(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "OverconstrainedError":
      return "no_device";
    case "NotReadableError":
    case "AbortError":
      return "busy";
    case "TypeError":
      return "unsupported";
    default:
      return "failed";
  }
}

export function canCapture() {
  return Boolean(globalThis.navigator?.mediaDevices?.getUserMedia && globalThis.RTCPeerConnection);
}

const VIDEO = { width: { ideal: WIDTH }, height: { ideal: 360 }, frameRate: { ideal: FPS, max: 24 }, facingMode: "user" };
const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/** Draws a camera track blurred into a canvas; `track` is the canvas's own stream. */
class Blurrer {
  constructor(camera) {
    this.video = document.createElement("video");
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.srcObject = new MediaStream([camera]);
    this.video.play().catch(() => {});
    this.canvas = document.createElement("canvas");
    this.canvas.width = WIDTH;
    this.canvas.height = 360;
    this.ctx = this.canvas.getContext("2d");
    // Browsers without canvas filters (older Safari) get the same effect by shrinking the
    // picture to a few dozen pixels and stretching it back.
    this.filter = typeof this.ctx.filter === "string";
    this.small = this.filter ? null : document.createElement("canvas");
    this.track = this.canvas.captureStream(FPS).getVideoTracks()[0];
    const draw = () => {
      try {
        this.draw();
      } catch {
        // a frame that could not be drawn: the last blurred one stays
      }
    };
    draw();
    this.timer = setInterval(draw, Math.round(1000 / FPS));
  }

  draw() {
    const { video, canvas, ctx } = this;
    const vw = video.videoWidth;
    const vh = video.videoHeight;
    if (vw && vh) {
      const w = Math.min(WIDTH, vw);
      const h = Math.round((w * vh) / vw);
      if (canvas.width !== w || canvas.height !== h) Object.assign(canvas, { width: w, height: h });
    }
    const { width: w, height: h } = canvas;
    ctx.filter = "none";
    ctx.fillStyle = "#3a4750";
    ctx.fillRect(0, 0, w, h);
    if (!vw || !vh) return;
    if (this.filter) {
      const blur = Math.max(16, Math.round(Math.max(w, h) / 26)); // ~24px at 640×360
      // Drawn a little larger than the canvas, keeping its shape, so the edges do not fade.
      const scale = Math.max((w + 4 * blur) / w, (h + 4 * blur) / h);
      ctx.filter = `blur(${blur}px)`;
      ctx.drawImage(video, (w - w * scale) / 2, (h - h * scale) / 2, w * scale, h * scale);
      ctx.filter = "none";
    } else {
      const small = this.small;
      small.width = Math.max(4, Math.round(w / 40));
      small.height = Math.max(3, Math.round(h / 40));
      small.getContext("2d").drawImage(video, 0, 0, small.width, small.height);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(small, 0, 0, w, h);
    }
  }

  stop() {
    clearInterval(this.timer);
    this.track.stop();
    this.video.srcObject = null;
  }
}

/** The person's microphone and camera. Mic off keeps the track but sends silence; camera off
 * stops the camera (its light goes out). */
export class Capture {
  constructor() {
    this.mic = null;
    this.camera = null;
    this.blurrer = null;
    this.micOn = false;
    this.blurred = false;
    this.blurBroken = false; // the browser cannot blur: the camera is not sent at all
  }

  get active() {
    return Boolean(this.mic || this.camera);
  }

  get cameraOn() {
    return Boolean(this.camera);
  }

  /** Asks for the devices. Throws getUserMedia's error when nothing could be had; without a
   * camera, falls back to the microphone alone and returns "no_camera". */
  async start(video) {
    let stream;
    let note = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: AUDIO, video: video ? VIDEO : false });
    } catch (error) {
      if (!video || captureProblem(error) !== "no_device") throw error;
      stream = await navigator.mediaDevices.getUserMedia({ audio: AUDIO, video: false });
      note = "no_camera";
    }
    this.mic = stream.getAudioTracks()[0] || null;
    this.micOn = Boolean(this.mic);
    this.setCameraTrack(stream.getVideoTracks()[0] || null);
    return note;
  }

  setMic(on) {
    this.micOn = Boolean(on && this.mic);
    if (this.mic) this.mic.enabled = this.micOn;
  }

  async setCamera(on) {
    if (!on) return this.setCameraTrack(null);
    if (this.camera) return undefined;
    const stream = await navigator.mediaDevices.getUserMedia({ video: VIDEO });
    return this.setCameraTrack(stream.getVideoTracks()[0] || null);
  }

  setBlurred(on) {
    this.blurred = Boolean(on);
    this.rebuildBlur();
  }

  setCameraTrack(track) {
    if (this.camera && this.camera !== track) this.camera.stop();
    this.camera = track;
    if (track) track.addEventListener("ended", () => {
      if (this.camera === track) this.setCameraTrack(null);
      this.onended?.();
    });
    this.rebuildBlur();
  }

  rebuildBlur() {
    const want = this.blurred && this.camera;
    if (this.blurrer && (!want || this.blurrer.source !== this.camera)) {
      this.blurrer.stop();
      this.blurrer = null;
    }
    this.blurBroken = false;
    if (want && !this.blurrer) {
      try {
        this.blurrer = new Blurrer(this.camera);
        this.blurrer.source = this.camera;
      } catch {
        this.blurBroken = true;
      }
    }
  }

  /** The track to send for `kind`, or null. While the face is hidden this is the blurred
   * canvas track, never the camera's own. */
  track(kind) {
    if (kind === "audio") return this.mic;
    if (!this.camera) return null;
    if (!this.blurred) return this.camera;
    return this.blurrer ? this.blurrer.track : null;
  }

  stop() {
    this.setCameraTrack(null);
    this.mic?.stop();
    this.mic = null;
    this.micOn = false;
  }
}

/** Who is speaking: an AnalyserNode per audio track, read every LEVEL_MS; `onchange(key, on)`. */
export class Levels {
  constructor(onchange) {
    this.onchange = onchange;
    this.ctx = null;
    this.sources = new Map(); // key → {track, source, analyser, buffer, speaking, hold}
    this.timer = null;
  }

  /** Audio contexts may only start after a click: call this from one. */
  wake() {
    try {
      const Context = globalThis.AudioContext || globalThis.webkitAudioContext;
      if (!this.ctx && Context) this.ctx = new Context();
      if (this.ctx?.state === "suspended") this.ctx.resume().catch(() => {});
      for (const [key, entry] of this.sources) if (!entry.analyser) this.watch(key, entry.track);
    } catch {
      this.ctx = null;
    }
  }

  watch(key, track) {
    const current = this.sources.get(key);
    if (current && current.track === track && current.analyser) return;
    this.forget(key);
    if (!track) return;
    const entry = { track, analyser: null, speaking: false, hold: 0 };
    this.sources.set(key, entry);
    if (!this.ctx) return;
    try {
      entry.source = this.ctx.createMediaStreamSource(new MediaStream([track]));
      entry.analyser = this.ctx.createAnalyser();
      entry.analyser.fftSize = 512;
      entry.buffer = new Uint8Array(entry.analyser.fftSize);
      entry.source.connect(entry.analyser);
    } catch {
      entry.analyser = null;
    }
    if (!this.timer) this.timer = setInterval(() => this.read(), LEVEL_MS);
  }

  forget(key) {
    const entry = this.sources.get(key);
    if (!entry) return;
    this.sources.delete(key);
    try {
      entry.source?.disconnect();
    } catch {
      // already gone
    }
    if (entry.speaking) this.onchange(key, false);
  }

  read() {
    if (this.sources.size === 0) {
      clearInterval(this.timer);
      this.timer = null;
      return;
    }
    for (const [key, entry] of this.sources) {
      if (!entry.analyser) continue;
      entry.analyser.getByteTimeDomainData(entry.buffer);
      let sum = 0;
      for (const byte of entry.buffer) sum += ((byte - 128) / 128) ** 2;
      const loud = entry.track.enabled && Math.sqrt(sum / entry.buffer.length) > SPEAKING;
      entry.hold = loud ? HOLD : Math.max(0, entry.hold - 1);
      const speaking = entry.hold > 0;
      if (speaking !== entry.speaking) {
        entry.speaking = speaking;
        this.onchange(key, speaking);
      }
    }
  }

  stop() {
    for (const key of [...this.sources.keys()]) this.forget(key);
    clearInterval(this.timer);
    this.timer = null;
  }
}
