// The staff session warning (WCAG 2.2.1 Timing Adjustable). A staff session ends after a while
// without requests and, however busy, a fixed time after its login; without a warning a report or
// a long description being written was lost. This module asks the server how long is left (the
// answer has seconds only, never the session's id), opens the page's <dialog> in time, and offers
// "Continue" (a POST with the page's CSRF token, which restarts the idle clock) or "Log out".
// The absolute limit cannot be renewed: its warning has no "Continue". Once the session has
// ended, the dialog says so and links to the login, which returns to this page.
//
// The server has the last word: before the dialog opens, every 15 s while it is open, when the
// tab comes back into view and when another tab says it renewed (BroadcastChannel), the time is
// asked again, so a renewal in another tab, or the room's socket, closes the dialog here.
// Escape does not dismiss the idle warning into a logout: it counts as "Continue".
import { decide, spoken } from "./session-timing.js";

const RECHECK_OPEN_MS = 15_000;
const RETRY_OFFLINE_S = 30;
const MAX_TIMER_S = 2 ** 31 / 1000 - 1;
const ENDED = "ended";

function install(dialog) {
  const language = document.documentElement.lang || "fi";
  const title = dialog.querySelector("#session-warning-title");
  const text = dialog.querySelector("#session-warning-text");
  const live = dialog.querySelector("#session-warning-live");
  const actions = {
    continue: dialog.querySelector('[data-action="continue"]'),
    login: dialog.querySelector('[data-action="login"]'),
    close: dialog.querySelector('[data-action="close"]'),
    logout: dialog.querySelector('[data-action="logout"]'),
  };
  // Which actions each warning offers, the first taking the focus when it opens.
  const OFFERS = {
    idle: ["continue", "logout"],
    absolute: ["close", "logout"],
    ended: ["login", "close"],
  };
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("tupa-staff-session") : null;

  let known = null; // ends on this browser's clock (ms) and the warnings' leads (s), from the server
  let shown = null; // the warning on screen: "idle", "absolute", "ended" or null
  let dismissed = null; // an absolute end or an ended session the person closed the dialog on
  let said = -1; // the stretch of time the live region last announced (see stretch)
  let wake = 0;
  let ticking = 0;
  let lastAsked = 0;
  let returnFocus = null;

  async function ask(method) {
    lastAsked = Date.now();
    const init = { method, credentials: "same-origin", headers: { accept: "application/json" } };
    if (method === "POST") {
      init.body = new FormData();
      init.body.append("csrf_token", document.body.dataset.csrf || "");
    }
    try {
      const answer = await fetch(dialog.dataset[method === "POST" ? "continueUrl" : "timeLeftUrl"], init);
      if (answer.status === 401) return ENDED;
      return answer.ok ? await answer.json() : null;
    } catch {
      return null; // offline for a moment: the countdown goes on from what is known
    }
  }

  function learn(answer) {
    const now = Date.now();
    known = {
      idleEnd: now + answer.idle_seconds * 1000,
      absoluteEnd: now + answer.absolute_seconds * 1000,
      idleWarning: answer.idle_warning_seconds,
      absoluteWarning: answer.absolute_warning_seconds,
    };
  }

  function left() {
    const now = Date.now();
    return {
      idle: (known.idleEnd - now) / 1000,
      absolute: (known.absoluteEnd - now) / 1000,
      idleWarning: known.idleWarning,
      absoluteWarning: known.absoluteWarning,
    };
  }

  async function check() {
    const answer = await ask("GET");
    if (answer === ENDED) known = null;
    else if (answer !== null) learn(answer);
    else if (known === null) return sleep(RETRY_OFFLINE_S);
    update();
  }

  function update() {
    const found = known === null ? { kind: ENDED, seconds: 0, wakeIn: 0 } : decide(left());
    if (found.kind === ENDED && known !== null) {
      // Ended by this browser's count: the server decides (a renewal elsewhere, a skewed clock).
      if (Date.now() - lastAsked > 2000) check();
      else if (!ticking) sleep(2);
      return;
    }
    if (found.kind === null || found.kind === dismissed) {
      hide();
      if (found.kind === null) dismissed = null;
      sleep(found.kind === ENDED ? MAX_TIMER_S : found.wakeIn);
      return;
    }
    show(found.kind, found.seconds);
  }

  function sleep(seconds) {
    clearTimeout(wake);
    wake = setTimeout(check, Math.min(MAX_TIMER_S, Math.max(1, seconds)) * 1000);
  }

  function fill(template, seconds) {
    return template.replace("%(time)s", spoken(seconds, language));
  }

  function show(kind, seconds) {
    clearTimeout(wake);
    const changed = kind !== shown;
    shown = kind;
    const key = kind[0].toUpperCase() + kind.slice(1);
    title.textContent = dialog.dataset[`title${key}`];
    text.textContent = fill(dialog.dataset[`text${key}`], seconds);
    if (!changed) {
      announce(seconds);
      return;
    }
    for (const [name, element] of Object.entries(actions)) {
      element.hidden = !OFFERS[kind].includes(name);
    }
    if (kind === ENDED) {
      const here = window.location.pathname + window.location.search;
      actions.login.href = `/staff/login?next=${encodeURIComponent(here)}`;
      clearInterval(ticking);
      ticking = 0;
    } else if (!ticking) {
      ticking = setInterval(tick, 1000);
    }
    if (dialog.open) {
      live.textContent = text.textContent; // the alert was read when it opened; this is new
    } else {
      returnFocus = document.activeElement;
      live.textContent = "";
      dialog.showModal();
    }
    said = stretch(seconds);
    actions[OFFERS[kind][0]].focus();
  }

  function stretch(seconds) {
    // The minute the time left is in, and 0 for the last 20 seconds.
    return seconds > 20 ? Math.ceil(seconds / 60) : 0;
  }

  function announce(seconds) {
    // Once a minute, and once for the last 20 seconds: not every second, which would drown a
    // screen reader's other speech.
    if (stretch(seconds) === said) return;
    said = stretch(seconds);
    live.textContent = fill(dialog.dataset.announce, seconds);
  }

  function hide() {
    clearInterval(ticking);
    ticking = 0;
    shown = null;
    if (!dialog.open) return;
    dialog.close();
    if (returnFocus && returnFocus.isConnected) returnFocus.focus();
    returnFocus = null;
  }

  function tick() {
    if (known !== null && Date.now() - lastAsked >= RECHECK_OPEN_MS) check();
    else update();
  }

  async function keepGoing() {
    actions.continue.disabled = true;
    const answer = await ask("POST");
    actions.continue.disabled = false;
    if (answer === ENDED) known = null;
    else if (answer !== null) {
      learn(answer);
      dismissed = null;
      channel?.postMessage("renewed");
    }
    update();
  }

  actions.continue.addEventListener("click", keepGoing);
  actions.close.addEventListener("click", () => {
    dismissed = shown;
    update();
  });
  dialog.addEventListener("cancel", (event) => {
    // Escape: the idle warning is renewed, not left to run out unseen; the others just close.
    event.preventDefault();
    if (shown === "idle") keepGoing();
    else actions.close.click();
  });
  dialog.addEventListener("close", () => {
    // Closed by the browser itself (Escape pressed again): as Escape.
    if (shown === "idle") keepGoing();
    else if (shown !== null) {
      dismissed = shown;
      update();
    }
  });
  channel?.addEventListener("message", () => check());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") check();
  });
  window.addEventListener("focus", () => {
    if (Date.now() - lastAsked > 2000) check();
  });
  check();
}

const dialog = document.getElementById("session-warning");
if (dialog) install(dialog);
