// The room's question before posting identifying details, in words (issue 21).
import assert from "node:assert/strict";
import { test } from "node:test";

import { checkWords, describeFindings, flaggedNote } from "../../../web/static/room/details.js";

const S = {
  check_title: "Send this?",
  check_looks: "This looks like %(what)s.",
  check_everyone_sees: "Everyone in the room will see it.",
  check_facilitator_sees: "The facilitator will see it.",
  check_flagged: "Sent after a warning: %(what)s",
  check_phone: "a phone number",
  check_email: "an e-mail address",
};

test("the question names what was found and says everyone will see a chat message", () => {
  const words = checkWords("send", ["phone"], S, "en");
  assert.deepEqual(words, {
    title: "Send this?",
    body: "This looks like a phone number. Everyone in the room will see it.",
  });
});

test("a private message is said to reach the facilitator, not everyone", () => {
  assert.match(checkWords("private", ["email"], S, "en").body, /The facilitator will see it\.$/);
});

test("several findings are listed in the page's language, in a fixed order", () => {
  assert.equal(describeFindings(["email", "phone"], S, "en"), "a phone number and an e-mail address");
  assert.equal(describeFindings(["email", "phone"], S, "fi"), "a phone number ja an e-mail address");
});

test("kinds the page does not know are left out rather than shown as codes", () => {
  assert.equal(describeFindings(["phone", "<b>x</b>"], S, "en"), "a phone number");
});

test("moderators read what a flagged message was sent with", () => {
  assert.equal(flaggedNote(["phone"], S, "en"), "Sent after a warning: a phone number");
});
