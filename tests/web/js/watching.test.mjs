// "N watching" on a stage: the plural form the page's language asks for.
import assert from "node:assert/strict";
import { test } from "node:test";

import { watchingTemplate } from "../../../web/static/room/watching.js";

const fi = { watching_one: "%(count)s katsoja", watching_other: "%(count)s katsojaa" };

test("one watching takes the singular form, other numbers the plural", () => {
  assert.equal(watchingTemplate(fi, "fi", 1), "%(count)s katsoja");
  assert.equal(watchingTemplate(fi, "fi", 0), "%(count)s katsojaa");
  assert.equal(watchingTemplate(fi, "sv", 12), "%(count)s katsojaa");
});

test("a language with more categories than the page gives falls back to the general form", () => {
  assert.equal(watchingTemplate(fi, "ar", 2), "%(count)s katsojaa");
});

test("no count, no text", () => {
  assert.equal(watchingTemplate(fi, "fi", undefined), null);
  assert.equal(watchingTemplate(fi, "fi", -1), null);
});

test("Northern Sámi has a dual: two watching take its own form", () => {
  const se = {
    watching_one: "%(count)s geahččá",
    watching_two: "%(count)s geahččaba",
    watching_other: "%(count)s gehččet",
  };
  assert.equal(watchingTemplate(se, "se", 1), "%(count)s geahččá");
  assert.equal(watchingTemplate(se, "se", 2), "%(count)s geahččaba");
  assert.equal(watchingTemplate(se, "se", 5), "%(count)s gehččet");
});
