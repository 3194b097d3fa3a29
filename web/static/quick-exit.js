// Quick exit: leave Tupa at once for a neutral site, so that someone looking over the shoulder
// sees nothing, and Back does not bring a Tupa page back.
//
// How (as services for people at risk do, e.g. GOV.UK's "Exit this page", plus what the
// Navigation API allows): the tab's history cannot be erased, but this visit's Tupa pages can be
// left behind. navigation.currentEntry.index says how many Tupa pages come before this one in
// this tab, so history.go() steps back to the first of them, which at once replaces itself with
// the neutral site (a flag in sessionStorage tells it to). The Tupa pages after it become
// "forward" entries, which browsers drop when the neutral site is navigated away from. Where the
// Navigation API is missing, location.replace() swaps only this page out: Back may then show the
// Tupa page before it. The device is forgotten too (a beacon to /me/forget). Neither hides the
// browser's history list: the Safe use page says so.
// The button works without JavaScript as a plain link; with it, Escape pressed twice also leaves.

const DOUBLE_PRESS_MS = 1000;
const LEAVING = "tupa-quick-exit";

function neutralUrl() {
  return document.body.dataset.quickExitUrl || "https://www.yle.fi/saa";
}

function blank() {
  // Blank the page first: the neutral site may take a moment to load.
  document.title = "";
  document.body.replaceChildren();
}

function forgetDevice() {
  const csrf = document.body.dataset.csrf;
  if (!csrf || typeof navigator.sendBeacon !== "function") return;
  const form = new FormData();
  form.append("csrf_token", csrf);
  navigator.sendBeacon("/me/forget", form);
}

function remember(value) {
  try {
    if (value) sessionStorage.setItem(LEAVING, "1");
    else sessionStorage.removeItem(LEAVING);
    return true;
  } catch {
    return false; // storage refused (a strict privacy mode): leave from here instead
  }
}

export function leave() {
  forgetDevice();
  const earlier = globalThis.navigation?.currentEntry?.index ?? 0;
  const neutral = neutralUrl();
  blank();
  if (earlier > 0 && remember(true)) {
    history.go(-earlier);
    return;
  }
  window.location.replace(neutral);
}

function keepLeaving() {
  // Reached by the step back of leave(): go on to the neutral site, replacing this entry.
  let leaving = false;
  try {
    leaving = sessionStorage.getItem(LEAVING) === "1";
  } catch {
    leaving = false;
  }
  if (!leaving) return false;
  remember(false);
  const neutral = neutralUrl();
  blank();
  window.location.replace(neutral);
  return true;
}

function install() {
  if (keepLeaving()) return;
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) keepLeaving(); // restored from the back-forward cache
  });
  const button = document.getElementById("quick-exit");
  if (button) {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      leave();
    });
  }
  let lastEscape = 0;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const now = Date.now();
    if (now - lastEscape <= DOUBLE_PRESS_MS) {
      leave();
    }
    lastEscape = now;
  });
}

install();
