// Quick exit: leave Tupa at once for a neutral site, so that someone looking over the shoulder
// sees nothing. location.replace() swaps this page out of the history: Back does not return here.
// The button works without JavaScript as a plain link; with it, Escape pressed twice also leaves.

const DOUBLE_PRESS_MS = 1000;

function neutralUrl() {
  return document.body.dataset.quickExitUrl || "https://www.yle.fi/saa";
}

export function leave() {
  // Blank the page first: the neutral site may take a moment to load.
  document.title = "";
  document.body.replaceChildren();
  window.location.replace(neutralUrl());
}

function install() {
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
