// The chat fits the screen (issue 15): on a phone the message box was below the fold, under a
// chat log as tall as 60% of the screen whatever stood above it.
//
// The log takes the height the screen has left once everything above it and the message box
// below it have theirs, and scrolls inside; a floor keeps it usable where a video stage stands
// above it. What stands above differs by session (a long series title wraps, a notice comes and
// goes), so the page measures it and hands the sum to room.css as one custom property
// (`--room-around-log`), which the stylesheet subtracts from 100dvh (100vh where dvh is
// unknown): the on-screen keyboard then shrinks the visual viewport only, and the browser keeps
// the focused box in view as usual. Set through the CSSOM, which the Content-Security-Policy
// allows (no style attribute in any markup).

/** How many pixels of the page are not the log, from the top of the page down to the end of the
 * chat panel: where the log starts (from the top of the page, not of the screen) plus what of the
 * panel comes after the log (the message box). Rectangles as getBoundingClientRect gives them. */
export function aroundLog(logRect, panelRect, scrollY) {
  const above = logRect.top + scrollY;
  const below = Math.max(panelRect.bottom - logRect.bottom, 0);
  return Math.max(Math.round(above + below), 0);
}

/** Keeps `--room-around-log` on `root` up to date while `watched` elements change size. */
export function fitLog(root, log, panel, watched) {
  let last = null;
  const measure = () => {
    if (!log.isConnected || log.offsetParent === null) return; // hidden: nothing to measure
    const value = `${aroundLog(log.getBoundingClientRect(), panel.getBoundingClientRect(), window.scrollY)}px`;
    if (value === last) return;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    last = value;
    root.style.setProperty("--room-around-log", value);
    if (atBottom) log.scrollTop = log.scrollHeight;
  };
  if (typeof ResizeObserver === "function") {
    const observer = new ResizeObserver(() => measure());
    for (const element of watched) if (element) observer.observe(element);
  }
  window.addEventListener("resize", measure);
  return measure;
}
