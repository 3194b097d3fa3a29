// The room view's lobby queue: people waiting to be admitted, for moderators.
import { el } from "./dom.js";
import { format } from "./text.js";

/** Methods of RoomView (view.js mixes them in): they read and write its state through `this`. */
export class RoomLobby {
  lobbyJoined(person, replay) {
    const { S, ui } = this;
    if (!person.peer || this.lobby.has(person.peer)) return;
    const name = person.name || S.someone;
    const li = el("li", { class: "member", "data-peer": person.peer, "data-name": name },
      el("span", { class: "member-name", text: name }),
      el("span", { class: "actions" },
        this.button("admit", S.admit, { peer: person.peer }, "quiet", name),
        this.button("deny", S.deny, { peer: person.peer }, "quiet danger", name)));
    this.lobby.set(person.peer, li);
    ui.lobby.append(li);
    this.renderCounts();
    if (!replay) this.announce(format(S.lobby_announce, { name }));
  }

  lobbyLeft(peer) {
    const li = this.lobby.get(peer);
    if (!li) return;
    this.lobby.delete(peer);
    this.removeKeepingFocus(li, this.ui.lobbyTitle);
    this.renderCounts();
  }
}
