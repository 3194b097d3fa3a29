// Who waits to talk with a facilitator: computed from a moderator's welcome and live events.
import assert from "node:assert/strict";
import { test } from "node:test";

import { inOrder, waitingAfter, waitingFromWelcome } from "../../../web/static/room/talk.js";

const aino = { peer: "p-aino", name: "Aino", role: "parent", at: "2026-12-03T17:02:00+00:00" };
const bea = { peer: "p-bea", name: "Bea", role: "parent", at: "2026-12-03T17:01:00+00:00" };
const event = (person, state) => ({ type: "need_to_talk", seq: 7, ...person, state });
const peers = (waiting) => inOrder(waiting).map((person) => person.peer);

test("the welcome's waiting parents are listed, the longest-waiting first", () => {
  assert.deepEqual(peers(waitingFromWelcome({ need_to_talk: [aino, bea] })), ["p-bea", "p-aino"]);
});

test("a welcome without the list (a parent's, or an older server's) lists nobody", () => {
  assert.deepEqual(peers(waitingFromWelcome({})), []);
  assert.deepEqual(peers(waitingFromWelcome(undefined)), []);
});

test("a parent who asks is added, and taking it back or being answered takes them off", () => {
  let waiting = waitingAfter(waitingFromWelcome({}), event(aino, "pending"));
  assert.deepEqual(peers(waiting), ["p-aino"]);
  waiting = waitingAfter(waiting, event(bea, "pending"));
  assert.deepEqual(peers(waiting), ["p-bea", "p-aino"]);
  waiting = waitingAfter(waiting, event(aino, "withdrawn"));
  assert.deepEqual(peers(waiting), ["p-bea"]);
  waiting = waitingAfter(waiting, event(bea, "answered"));
  assert.deepEqual(peers(waiting), []);
});

test("only the name and the time of asking are kept", () => {
  const waiting = waitingAfter(new Map(), event(aino, "pending"));
  assert.deepEqual(waiting.get("p-aino"), { peer: "p-aino", name: "Aino", at: aino.at });
});

test("other frames and malformed ones leave the list as it was, and the map given is not changed", () => {
  const waiting = waitingFromWelcome({ need_to_talk: [aino] });
  assert.equal(waitingAfter(waiting, { type: "message", peer: "p-bea", state: "pending" }), waiting);
  assert.equal(waitingAfter(waiting, { type: "need_to_talk", state: "pending" }), waiting);
  assert.equal(waitingAfter(waiting, null), waiting);
  waitingAfter(waiting, event(aino, "answered"));
  assert.deepEqual(peers(waiting), ["p-aino"]);
});
