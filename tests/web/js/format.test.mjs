// Names and texts put into the room's sentences: the template is cut at its placeholders, so that
// the page can put each value in a <bdi> and no name can reorder the words around it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { fill, format } from "../../../web/static/room/view.js";

test("a template is cut into its own words and the values put into it", () => {
  assert.deepEqual(fill("%(by)s reported a message from %(name)s.", { by: "Ohjaaja", name: "Bea" }), [
    { value: "Ohjaaja" },
    " reported a message from ",
    { value: "Bea" },
    ".",
  ]);
});

test("a name holding a right-to-left override stays a value of its own, apart from the sentence", () => {
  assert.deepEqual(fill("%(name)s was removed from the session.", { name: "Mira\u202e" }), [
    { value: "Mira\u202e" },
    " was removed from the session.",
  ]);
});

test("unknown placeholders stay as text, and numbers become text", () => {
  assert.deepEqual(fill("%(missing)s and %(votes)s", { votes: 0 }), ["%(missing)s and ", { value: "0" }]);
  assert.deepEqual(fill("", {}), []);
});

test("format gives the same sentence as plain text", () => {
  assert.equal(format("%(name)s: %(text)s", { name: "Aino", text: "hei" }), "Aino: hei");
  assert.equal(format("%(missing)s", {}), "%(missing)s");
  assert.equal(format(undefined), "");
});

test("view.js still hands out the same fill and format that text.js holds", async () => {
  const text = await import("../../../web/static/room/text.js");
  const view = await import("../../../web/static/room/view.js");
  assert.equal(view.fill, text.fill);
  assert.equal(view.format, text.format);
});
