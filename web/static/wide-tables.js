// A data table wider than the screen scrolls sideways (a phone, a long report). A keyboard can
// scroll only what it can focus (WCAG 2.1.1), so such a table takes a tab stop while it is wider
// than its box, and gives it back when it fits: no extra stop on a desktop.
const MARK = "data-scroll-stop";

function fit(table) {
  const wide = table.scrollWidth > table.clientWidth + 1;
  if (wide && !table.hasAttribute("tabindex")) {
    table.setAttribute("tabindex", "0");
    table.setAttribute(MARK, "");
  } else if (!wide && table.hasAttribute(MARK)) {
    table.removeAttribute("tabindex");
    table.removeAttribute(MARK);
  }
}

const tables = document.querySelectorAll("table.data");
if (tables.length) {
  const watcher = new ResizeObserver((entries) => entries.forEach((entry) => fit(entry.target)));
  tables.forEach((table) => watcher.observe(table));
}
