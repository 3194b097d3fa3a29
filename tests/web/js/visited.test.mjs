// The "Earlier in this session" list: computed from a moderator's welcome and live events.
import assert from "node:assert/strict";
import { test } from "node:test";

import { earlier, visitedAfter, visitedFromWelcome } from "../../../web/static/room/visited.js";

const aino = { peer: "p-aino", name: "Aino", role: "parent" };
const bea = { peer: "p-bea", name: "Bea", role: "parent" };
const ohjaaja = { peer: "s-ohj", name: "Ohjaaja", role: "facilitator" };

const peers = (list) => list.map((person) => person.peer);

test("a removed or departed parent from the welcome is listed as earlier in the session", () => {
  const visited = visitedFromWelcome({ members: [ohjaaja, aino], visited: [aino, bea] });
  assert.deepEqual(peers(earlier(visited, ["s-ohj", "p-aino"])), ["p-bea"]);
});

test("staff are never listed, only parents", () => {
  const visited = visitedFromWelcome({ members: [ohjaaja], visited: [] });
  assert.deepEqual(earlier(visited, []), []);
});

test("a parent who goes offline moves to the earlier list and back when they return", () => {
  let visited = visitedFromWelcome({ members: [aino], visited: [aino] });
  assert.deepEqual(earlier(visited, ["p-aino"]), []);
  visited = visitedAfter(visited, { type: "presence", ...aino, online: false });
  assert.deepEqual(peers(earlier(visited, [])), ["p-aino"]);
  assert.deepEqual(earlier(visited, ["p-aino"]), []);
});

test("a parent who arrives after the welcome is remembered once they leave", () => {
  let visited = visitedFromWelcome({ members: [], visited: [] });
  visited = visitedAfter(visited, { type: "presence", ...bea, online: true });
  assert.deepEqual(earlier(visited, ["p-bea"]), []);
  assert.deepEqual(peers(earlier(visited, [])), ["p-bea"]);
});

test("a banned person disappears from the list for good", () => {
  let visited = visitedFromWelcome({ members: [], visited: [aino, bea] });
  visited = visitedAfter(visited, { type: "moderation", action: "banned", peer: "p-aino", name: "Aino" });
  assert.deepEqual(peers(earlier(visited, [])), ["p-bea"]);
});

test("a removal or a mute does not forget anyone", () => {
  const visited = visitedFromWelcome({ members: [aino], visited: [aino] });
  for (const action of ["removed", "muted"]) {
    assert.equal(visitedAfter(visited, { type: "moderation", action, peer: "p-aino" }), visited);
  }
  assert.deepEqual(peers(earlier(visited, [])), ["p-aino"]);
});

test("the list is sorted by name and does not change the map it was given", () => {
  const visited = visitedFromWelcome({ visited: [bea, aino] });
  const before = [...visited.keys()];
  visitedAfter(visited, { type: "presence", peer: "p-cecilia", name: "Cecilia", role: "parent", online: true });
  assert.deepEqual([...visited.keys()], before);
  assert.deepEqual(earlier(visited, []).map((person) => person.name), ["Aino", "Bea"]);
});

test("a welcome without the moderator fields gives an empty list", () => {
  assert.deepEqual(earlier(visitedFromWelcome({}), []), []);
  assert.deepEqual(earlier(visitedFromWelcome(undefined), []), []);
});
