// The chat log's height: what stands around it is measured from the top of the page (issue 15).
import assert from "node:assert/strict";
import { test } from "node:test";

import { aroundLog } from "../../../web/static/room/fit.js";

test("around the log: everything above it plus the message box below it in the panel", () => {
  const log = { top: 310, bottom: 578 };
  const panel = { bottom: 830 };
  assert.equal(aroundLog(log, panel, 0), 310 + 252);
});

test("the page scrolled down measures the same", () => {
  assert.equal(aroundLog({ top: -90, bottom: 178 }, { bottom: 430 }, 400), 310 + 252);
});

test("never less than nothing, and whole pixels", () => {
  assert.equal(aroundLog({ top: 10.4, bottom: 100 }, { bottom: 90 }, 0), 10);
  assert.equal(aroundLog({ top: -50, bottom: 0 }, { bottom: 0 }, 0), 0);
});
