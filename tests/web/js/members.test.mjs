// The order of the room's member list (members.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { memberSortKey } from "../../../web/static/room/members.js";

test("facilitators come first, then coordinators, volunteers and parents, each by name", () => {
  const people = [
    { name: "bea", role: "parent" }, { name: "Aino", role: "parent" }, { name: "Vilja", role: "volunteer" },
    { name: "Olli", role: "facilitator" }, { name: "Kaisa", role: "coordinator" }, { name: "Zz", role: "guest" },
    { role: "parent" },
  ];
  const order = [...people].sort((a, b) => (memberSortKey(a) < memberSortKey(b) ? -1 : 1)).map((p) => p.name ?? "");
  assert.deepEqual(order, ["Olli", "Kaisa", "Vilja", "", "Aino", "bea", "Zz"]);
});
