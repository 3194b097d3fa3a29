// The chat log is one tab stop: which message the keys move to (issue 15).
import assert from "node:assert/strict";
import { test } from "node:test";

import { step } from "../../../web/static/room/roving.js";

test("up and down move one message, and stop at the ends", () => {
  assert.equal(step("ArrowUp", 3, 10), 2);
  assert.equal(step("ArrowDown", 3, 10), 4);
  assert.equal(step("ArrowUp", 0, 10), 0);
  assert.equal(step("ArrowDown", 9, 10), 9);
});

test("Home and End go to the oldest and the newest, Page Up and Down five at a time", () => {
  assert.equal(step("Home", 7, 10), 0);
  assert.equal(step("End", 2, 10), 9);
  assert.equal(step("PageUp", 7, 10), 2);
  assert.equal(step("PageUp", 3, 10), 0);
  assert.equal(step("PageDown", 7, 10), 9);
});

test("from no current message every key starts at the newest, Home at the oldest", () => {
  assert.equal(step("ArrowUp", -1, 4), 3);
  assert.equal(step("ArrowDown", -1, 4), 3);
  assert.equal(step("Home", -1, 4), 0);
});

test("other keys, and an empty log, move nothing", () => {
  assert.equal(step("Enter", 1, 4), null);
  assert.equal(step("ArrowLeft", 1, 4), null);
  assert.equal(step("ArrowUp", -1, 0), null);
});
