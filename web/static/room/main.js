// Entry point of the room page: reads the configuration from #room's data attributes and the
// translated texts from the #room-strings JSON block, then connects.
import { RoomConnection } from "./connection.js";
import { DetailsCheck } from "./details.js";
import { RoomHeld } from "./held.js";
import { RoomTalk } from "./talk.js";
import { RoomView } from "./view.js";

function readStrings() {
  try {
    return JSON.parse(document.getElementById("room-strings")?.textContent || "{}");
  } catch {
    return {};
  }
}

/** Video and audio load on their own (only in group and stage sessions), so that nothing in them
 * can stop the chat. Frames that arrive before the module has loaded are handed over to it. */
function loadMedia(root, strings, connection, view) {
  if (!root.dataset.mediaMode || root.dataset.mediaMode === "chat") return null;
  const early = [];
  const keep = (event) => early.push(event);
  connection.addEventListener("frame", keep);
  connection.addEventListener("status", keep);
  const handle = { media: null };
  import("./media.js")
    .then(({ RoomMedia }) => {
      connection.removeEventListener("frame", keep);
      connection.removeEventListener("status", keep);
      const media = new RoomMedia(root, strings, connection, { notify: (text) => view.notify(text) });
      for (const event of early) media.take(event);
      handle.media = media;
      view.quiet = (frame) => media.quiet(frame);
      // Browser tests (WebDriver or Playwright) read what the connections decoded.
      if (navigator.webdriver) Object.defineProperty(window, "__tupaMedia", { value: media.debug() });
    })
    .catch(() => {
      connection.removeEventListener("frame", keep);
      connection.removeEventListener("status", keep);
    });
  return handle;
}

const root = document.getElementById("room");
if (root && root.dataset.wsPath) {
  const strings = readStrings();
  const connection = new RoomConnection(root.dataset.wsPath);
  const view = new RoomView(root, strings, connection);
  new DetailsCheck(strings, connection, view); // asks before posting identifying details
  new RoomTalk(strings, connection, view); // "I need to talk" (issue 21)
  new RoomHeld(strings, connection, view); // messages held for a moderator's approval
  let media = null;
  try {
    media = loadMedia(root, strings, connection, view);
  } catch {
    media = null; // the chat goes on without video
  }
  // Back online after a network change: do not wait for the backoff timer.
  window.addEventListener("online", () => connection.retryNow());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") connection.retryNow();
  });
  // Leaving the page (including the quick exit) says bye to video connections and closes the
  // socket at once.
  window.addEventListener("pagehide", () => {
    try {
      media?.media?.close();
    } catch {
      // leaving anyway
    }
    connection.close();
  });
  // Returning through the back-forward cache: the closed socket cannot resume, so start afresh.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });
  connection.connect();
}
