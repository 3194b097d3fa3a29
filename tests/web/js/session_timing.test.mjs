// The staff session warning opens before the idle and the absolute end, and says how long is left.
import { test } from "node:test";
import assert from "node:assert/strict";

import { decide, spoken } from "../../../web/static/session-timing.js";

const HOUR = 3600;
// What the server says of its default limits: warn two minutes before the idle end, ten before
// the absolute end.
const hourAndTwelve = { idleWarning: 120, absoluteWarning: 600 };

test("nothing shows while the session has time, and it wakes when the warning is due", () => {
  const found = decide({ idle: 50 * 60, absolute: 6 * HOUR, ...hourAndTwelve });
  assert.deepEqual(found, { kind: null, seconds: 50 * 60, wakeIn: 50 * 60 - 120 });
});

test("two minutes before the idle end the renewable warning shows", () => {
  const found = decide({ idle: 119, absolute: 6 * HOUR, ...hourAndTwelve });
  assert.equal(found.kind, "idle");
  assert.equal(found.seconds, 119);
});

test("the absolute end is warned ten minutes before, without renewal", () => {
  const found = decide({ idle: 55 * 60, absolute: 9 * 60, ...hourAndTwelve });
  assert.equal(found.kind, "absolute");
  assert.equal(found.seconds, 9 * 60);
  assert.equal(found.wakeIn, 9 * 60); // the idle warning is further off than the end
});

test("an idle end before the absolute end is offered renewal even inside the absolute lead", () => {
  const found = decide({ idle: 90, absolute: 8 * 60, ...hourAndTwelve });
  assert.equal(found.kind, "idle");
  assert.equal(found.seconds, 90);
});

test("an idle end after the absolute end is not offered: renewing would not help", () => {
  const found = decide({ idle: 100, absolute: 60, ...hourAndTwelve });
  assert.equal(found.kind, "absolute");
  assert.equal(found.seconds, 60);
});

test("no time left is the end", () => {
  assert.equal(decide({ idle: 0, absolute: 60, ...hourAndTwelve }).kind, "ended");
  assert.equal(decide({ idle: 600, absolute: -1, ...hourAndTwelve }).kind, "ended");
});

test("the time left reads in minutes, then seconds, in the page's language", () => {
  assert.equal(spoken(119, "en"), "2 minutes");
  assert.equal(spoken(60, "en"), "1 minute");
  assert.equal(spoken(59.2, "en"), "1 minute"); // rounded up, never less than is left
  assert.equal(spoken(45, "en"), "45 seconds");
  assert.equal(spoken(1, "en"), "1 second");
  assert.match(spoken(120, "fi"), /^2 minuuttia$/);
  assert.match(spoken(30, "sv"), /^30 sekunder$/);
});
