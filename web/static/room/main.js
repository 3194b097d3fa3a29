// Entry point of the room page: reads the configuration from #room's data attributes and the
// translated texts from the #room-strings JSON block, then connects.
import { RoomConnection } from "./connection.js";
import { RoomView } from "./view.js";

function readStrings() {
  try {
    return JSON.parse(document.getElementById("room-strings")?.textContent || "{}");
  } catch {
    return {};
  }
}

const root = document.getElementById("room");
if (root && root.dataset.wsPath) {
  const connection = new RoomConnection(root.dataset.wsPath);
  new RoomView(root, readStrings(), connection);
  // Back online after a network change: do not wait for the backoff timer.
  window.addEventListener("online", () => connection.retryNow());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") connection.retryNow();
  });
  // Leaving the page (including the quick exit) closes the socket at once.
  window.addEventListener("pagehide", () => connection.close());
  // Returning through the back-forward cache: the closed socket cannot resume, so start afresh.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });
  connection.connect();
}
