// Messages held for a moderator's approval (issue 21, point 2): which wait, and what is said.
import assert from "node:assert/strict";
import { test } from "node:test";

import { heldAfter, heldNote } from "../../../web/static/room/held.js";

const S = {
  held_waiting: "Waiting for the facilitator's approval.",
  held_for_approval: "Held for your approval.",
  check_flagged: "Sent after a warning: %(what)s",
  check_phone: "a phone number",
};

const held = { type: "held", seq: 7, peer: "p1", name: "Mustikka", text: "040 123 4567", flagged: ["phone"] };

test("a held message waits until it is approved or rejected", () => {
  const waiting = heldAfter(new Map(), held);
  assert.deepEqual([...waiting.keys()], [7]);
  assert.equal(heldAfter(waiting, { type: "held_approved", held: 7, seq: 9 }).size, 0);
  assert.equal(heldAfter(waiting, { type: "held_rejected", held: 7, seq: 9 }).size, 0);
  assert.equal(waiting.size, 1, "the map given is not changed");
});

test("a held message whose text was dropped, or another one's decision, changes nothing", () => {
  const none = new Map();
  assert.equal(heldAfter(none, { type: "held", seq: 7, deleted: true }), none);
  assert.equal(heldAfter(none, { type: "held", seq: "7", text: "x" }), none);
  const waiting = heldAfter(none, held);
  assert.equal(heldAfter(waiting, { type: "held_rejected", held: 8 }), waiting);
  assert.equal(heldAfter(waiting, { type: "message", seq: 8, text: "hei" }), waiting);
});

test("its author is told it waits; a moderator why it was held", () => {
  assert.equal(heldNote(held, true, S, "en"), "Waiting for the facilitator's approval.");
  assert.equal(heldNote(held, false, S, "en"), "Held for your approval. Sent after a warning: a phone number");
  assert.equal(heldNote({ ...held, flagged: undefined }, false, S, "en"), "Held for your approval.");
});
