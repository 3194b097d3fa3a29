// The notes a room's setting changes leave in the chat log (moderation.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { settingNote } from "../../../web/static/room/moderation.js";

const S = {
  mod_locked: "Locked.", mod_unlocked: "Unlocked.", mod_slow_on: "Slow mode: %(seconds)s s.",
  mod_slow_off: "Slow mode off.", mod_lobby_on: "Lobby on.", mod_lobby_off: "Lobby off.",
  mod_volunteers_on: "Volunteers moderate.", mod_volunteers_off: "Volunteers do not moderate.",
};

test("each setting says whether it was turned on or off", () => {
  assert.equal(settingNote(S, "locked", true), "Locked.");
  assert.equal(settingNote(S, "locked", false), "Unlocked.");
  assert.equal(settingNote(S, "lobby", true), "Lobby on.");
  assert.equal(settingNote(S, "lobby", false), "Lobby off.");
  assert.equal(settingNote(S, "volunteers_moderate", true), "Volunteers moderate.");
  assert.equal(settingNote(S, "volunteers_moderate", false), "Volunteers do not moderate.");
});

test("slow mode names its seconds, and zero or nonsense turns it off", () => {
  assert.equal(settingNote(S, "slow_mode", 30), "Slow mode: 30 s.");
  assert.equal(settingNote(S, "slow_mode", "10"), "Slow mode: 10 s.");
  assert.equal(settingNote(S, "slow_mode", 0), "Slow mode off.");
  assert.equal(settingNote(S, "slow_mode", "x"), "Slow mode off.");
});
