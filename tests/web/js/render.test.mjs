// The room's status line, worked out from the view's state without a page (render.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { statusLine } from "../../../web/static/room/render.js";

const S = {
  connecting: "Connecting…", reconnecting: "Reconnecting…", close_4009: "Opened elsewhere.",
  close_4029: "Too many tries.", close_4003: "Removed.", err_unknown: "Something went wrong.",
  waiting_room: "Waiting room.", starts_at: "Starts at %(time)s.", staff_opens_at: "Opens at %(time)s.",
  lobby_wait: "In the lobby.", lobby_position: "You are %(position)s.", ended: "Ended.",
  not_open_staff: "Not open yet.",
};
const when = (value) => `[${value}]`;
const base = { connState: "open", closeCode: null, phase: "in", room: {}, startsAt: "", opensAt: null, isStaff: false, lobbyPosition: null };
const line = (changes) => statusLine({ ...base, ...changes }, S, when);

test("an open room in progress says nothing and shows no buttons", () => {
  assert.deepEqual(line({}), { text: "", tone: "none", retry: false, back: false, open: false });
});

test("a final close says why, in the final tone, with the way back; an unknown code says something went wrong", () => {
  assert.deepEqual(line({ connState: "final", closeCode: 4003 }), { text: "Removed.", tone: "final", retry: false, back: true, open: false });
  assert.equal(line({ connState: "final", closeCode: 4999 }).text, "Something went wrong.");
});

test("reconnecting offers to retry, and names the two closes a person can act on", () => {
  assert.deepEqual(line({ connState: "reconnecting", closeCode: 1006 }), { text: "Reconnecting…", tone: "info", retry: true, back: false, open: false });
  assert.equal(line({ connState: "reconnecting", closeCode: 4029 }).text, "Too many tries.");
  assert.equal(line({ connState: "reconnecting", closeCode: 4009 }).text, "Opened elsewhere.");
  assert.equal(line({ connState: "connecting", phase: "connecting" }).text, "Connecting…");
});

test("the waiting room tells the start time, and staff also when the room opens", () => {
  const waiting = { phase: "waiting", startsAt: "18:00", opensAt: "17:45" };
  assert.equal(line(waiting).text, "Waiting room. Starts at [18:00].");
  assert.equal(line({ ...waiting, isStaff: true }).text, "Waiting room. Starts at [18:00]. Opens at [17:45].");
});

test("the lobby tells a person's place when it is known", () => {
  assert.equal(line({ phase: "lobby" }).text, "In the lobby.");
  assert.equal(line({ phase: "lobby", lobbyPosition: 2 }).text, "In the lobby. You are 2.");
});

test("an ended room is final; a room not yet open offers staff the open button", () => {
  assert.deepEqual(line({ room: { status: "ended" } }), { text: "Ended.", tone: "final", retry: false, back: true, open: false });
  assert.deepEqual(line({ room: { status: "waiting" }, isStaff: true }), { text: "Not open yet.", tone: "info", retry: false, back: false, open: true });
  assert.equal(line({ room: { status: "waiting" } }).text, "Waiting room.");
});
