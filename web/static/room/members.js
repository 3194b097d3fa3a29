// The room view's member list: who is here, their role, presence and raised hands.
import { el, hiddenText, isolated } from "./dom.js";
import { format } from "./text.js";
import { visitedAfter } from "./visited.js";

const ROLE_ORDER = { facilitator: 0, coordinator: 1, volunteer: 2, parent: 3 };

/** Where a member goes in the list (pure): facilitators, coordinators, volunteers, then parents,
 * each by name regardless of case; an unknown role last. */
export function memberSortKey(member) {
  return `${ROLE_ORDER[member.role] ?? 9}${(member.name || "").toLocaleLowerCase()}`;
}

/** Methods of RoomView (view.js mixes them in): they read and write its state through `this`. */
export class RoomMembers {
  sortKey(member) {
    return memberSortKey(member);
  }

  addMember(data) {
    const { S } = this;
    const member = { peer: data.peer, name: data.name, role: data.role, hand: Boolean(data.hand), online: data.online !== false };
    const own = this.isMine(member.peer);
    const state = hiddenText("");
    const hand = el("span", { class: "badge hand", hidden: true, text: S.hand_raised });
    const li = el("li", { class: "member", "data-peer": member.peer },
      el("span", { class: "presence", "aria-hidden": "true" }),
      el("span", { class: "member-name", text: member.name }),
      own ? el("span", { class: "msg-you", text: S.you }) : null,
      this.badge(member.role, true), hand, state);
    if (!own) li.append(this.memberActions(member));
    member.li = li;
    member.parts = { state, hand };
    const key = this.sortKey(member);
    const after = [...this.members.values()].find((other) => this.sortKey(other) > key);
    this.ui.members.insertBefore(li, after ? after.li : null);
    this.members.set(member.peer, member);
    this.updateMember(member);
    return member;
  }

  memberActions(member) {
    const { S } = this;
    const peer = member.peer;
    const box = el("div", { class: "actions" },
      this.button("private", S.write_private, { peer }, "quiet facilitator-only"));
    if (member.role === "parent" || member.role === "volunteer") {
      box.append(
        this.button("mute", S.mute_5, { peer, seconds: 300 }),
        this.button("mute", S.mute_15, { peer, seconds: 900 }),
        this.button("mute", S.unmute, { peer, seconds: 0 }),
        this.button("remove", S.remove, { peer }, "quiet danger"),
      );
    }
    if (member.role === "parent") box.append(this.button("ban", S.ban, { peer }, "quiet danger"));
    return el("details", { class: "member-actions mod-only" },
      el("summary", {}, ...isolated(S.actions_for, { name: member.name })), box);
  }

  updateMember(member) {
    const { S } = this;
    member.li.classList.toggle("offline", !member.online);
    member.parts.state.textContent = ` (${member.online ? S.online : S.offline})`;
    member.parts.hand.hidden = !member.hand;
  }

  presence(frame) {
    this.visited = visitedAfter(this.visited, { ...frame, type: "presence" });
    let member = this.members.get(frame.peer);
    if (!member && frame.online === false) return; // someone already gone from the list
    if (!member) member = this.addMember(frame);
    member.online = frame.online !== false;
    this.updateMember(member);
    this.renderCounts();
  }

  dropMember(peer) {
    const member = this.members.get(peer);
    if (!member) return;
    this.members.delete(peer);
    this.removeKeepingFocus(member.li, this.ui.membersTitle);
    this.renderCounts();
  }

  handRaised(frame, replay) {
    const member = this.members.get(frame.peer);
    if (!member) return;
    member.hand = Boolean(frame.raised);
    this.updateMember(member);
    if (this.isMine(frame.peer)) this.renderComposer();
    else if (member.hand && !replay && this.you?.moderator) {
      this.announce(format(this.S.hand_announce, { name: member.name }));
    }
  }
}
