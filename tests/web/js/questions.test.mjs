// A stage question as one person sees it: a hidden one tells its author, and a vote given is
// said in words (issue 15).
import assert from "node:assert/strict";
import { test } from "node:test";

import { QUESTION_RANK, questionOrder, questionView } from "../../../web/static/room/questions.js";

const aino = "p-aino";
const bea = "p-bea";

test("the author of a hidden question is told that the moderator hid it", () => {
  assert.deepEqual(questionView({ peer: aino, status: "hidden" }, aino, false), { status: "hidden_yours", vote: "none" });
});

test("everyone else just stops seeing a hidden question, also where its author is not named", () => {
  assert.equal(questionView({ peer: aino, status: "hidden" }, bea, false), null);
  assert.equal(questionView({ status: "hidden" }, bea, false), null); // on a stage, no peer
  assert.equal(questionView({ peer: aino, status: "hidden" }, null, false), null);
});

test("a deleted question is gone for everyone, its author too", () => {
  assert.equal(questionView({ peer: aino, status: "deleted" }, aino, false), null);
});

test("an approved question can be voted for once, and then says it was", () => {
  assert.deepEqual(questionView({ peer: aino, status: "approved" }, bea, false), { status: null, vote: "can" });
  assert.deepEqual(questionView({ peer: aino, status: "approved" }, bea, true), { status: null, vote: "voted" });
});

test("nobody votes for their own question, nor for one pending or answered", () => {
  assert.equal(questionView({ peer: aino, status: "approved" }, aino, false).vote, "none");
  assert.deepEqual(questionView({ peer: aino, status: "pending" }, aino, false), { status: "pending", vote: "none" });
  assert.deepEqual(questionView({ peer: aino, status: "answered" }, bea, true), { status: "answered", vote: "none" });
});

test("the author's hidden questions come last", () => {
  const order = ["hidden", "answered", "pending", "approved"].sort((a, b) => QUESTION_RANK[a] - QUESTION_RANK[b]);
  assert.deepEqual(order, ["pending", "approved", "answered", "hidden"]);
});

test("questions are listed pending first, then approved by votes, then answered, ties in asking order", () => {
  const questions = [
    { seq: 1, status: "answered", votes: 9 }, { seq: 2, status: "approved", votes: 1 },
    { seq: 3, status: "approved", votes: 4 }, { seq: 4, status: "pending" }, { seq: 5, status: "approved", votes: 1 },
    { seq: 6, status: "hidden" }, { seq: 7, status: "newer-than-this-page" },
  ];
  assert.deepEqual([...questions].sort(questionOrder).map((q) => q.seq), [4, 3, 2, 5, 1, 6, 7]);
});
