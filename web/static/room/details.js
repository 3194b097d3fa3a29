// The room's question before posting what looks like identifying details (issue 21).
//
// The server decides what looks like a phone number, an address or an identity code
// (server/rooms/identifying.py) and answers such a write with a `check` frame instead of
// storing it; this page only asks its author: "Send anyway" sends it again with `confirmed`,
// "Edit" (or Esc) puts the text back in its box. Moderators see a sent one marked.

const KINDS = ["phone", "email", "personal_id", "street_address", "bank_account", "business_id"];

/** "a phone number and an e-mail address", in the page's language (unknown kinds left out). */
export function describeFindings(findings, S, lang = "fi") {
  const named = KINDS.filter((kind) => findings.includes(kind)).map((kind) => S[`check_${kind}`] || kind);
  try {
    return new Intl.ListFormat(lang, { type: "conjunction" }).format(named);
  } catch {
    return named.join(", ");
  }
}

/** The question's words for a refused write of `type` (`send`, `private`, `ask`). */
export function checkWords(type, findings, S, lang = "fi") {
  const what = describeFindings(findings, S, lang);
  const who = type === "private" ? S.check_facilitator_sees : S.check_everyone_sees;
  return { title: S.check_title, body: `${fill(S.check_looks, { what })} ${who}` };
}

/** What a moderator reads under a message its author sent after being asked. */
export function flaggedNote(findings, S, lang = "fi") {
  return fill(S.check_flagged, { what: describeFindings(findings, S, lang) });
}

function fill(template, params) {
  return String(template || "").replace(/%\((\w+)\)s/g, (_, key) => String(params[key] ?? ""));
}

let counter = 0;

/** Asks in a modal dialog; resolves true for "Send anyway", false for "Edit" or Esc. Focus goes
 * to "Edit" (the safe answer) and comes back to `returnTo` afterwards. */
export function ask(words, S, returnTo) {
  counter += 1;
  const dialog = document.createElement("dialog");
  dialog.className = "details-check";
  dialog.setAttribute("aria-labelledby", `details-check-title-${counter}`);
  dialog.setAttribute("aria-describedby", `details-check-body-${counter}`);
  const title = document.createElement("h2");
  title.id = `details-check-title-${counter}`;
  title.textContent = words.title;
  const body = document.createElement("p");
  body.id = `details-check-body-${counter}`;
  body.textContent = words.body;
  const edit = document.createElement("button");
  edit.type = "button";
  edit.className = "secondary";
  edit.textContent = S.check_edit;
  edit.autofocus = true;
  const send = document.createElement("button");
  send.type = "button";
  send.textContent = S.check_send;
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(edit, send);
  dialog.append(title, body, actions);
  document.body.append(dialog);
  return new Promise((resolve) => {
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      returnTo?.focus();
      resolve(answer);
    };
    edit.addEventListener("click", () => done(false));
    send.addEventListener("click", () => done(true));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault(); // Esc: the same as Edit
      done(false);
    });
    dialog.showModal();
    edit.focus();
  });
}

/** Wires the question to the room: asks for each `check`, one at a time. */
export class DetailsCheck {
  constructor(strings, connection, view) {
    this.S = strings;
    this.connection = connection;
    this.view = view;
    this.queue = Promise.resolve();
    connection.addEventListener("check", (event) => {
      this.queue = this.queue.then(() => this.answer(event.detail)).catch(() => {});
    });
  }

  async answer({ cid, frame, findings }) {
    const lang = document.documentElement.lang || "fi";
    const box = this.boxFor(frame);
    const sendAnyway = await ask(checkWords(frame.type, findings, this.S, lang), this.S, box);
    if (sendAnyway) {
      this.connection.sendAnyway(frame);
    } else {
      this.view.onFailed({ cid, frame, error: { code: "check" } });
      box?.focus();
    }
  }

  boxFor(frame) {
    const { ui } = this.view;
    if (frame.type === "ask") return ui.askText;
    if (frame.type === "private") return this.view.threads.get(frame.to)?.textarea;
    return ui.text;
  }
}
