// Copying a part's methods onto a class (mixin.js), as the room view and the room media do.
import assert from "node:assert/strict";
import { test } from "node:test";

import { mixIn } from "../../../web/static/room/mixin.js";

test("a part's methods and getters work on the target with the target's own state", () => {
  class Room { constructor() { this.count = 2; } }
  class Counting {
    get doubled() { return this.count * 2; }
    add(n) { this.count += n; return this; }
  }
  mixIn(Room, Counting);
  const room = new Room();
  assert.equal(room.add(3).count, 5);
  assert.equal(room.doubled, 10);
  assert.equal(Room.prototype.constructor, Room);
});

test("a method two parts both define is refused rather than one silently winning", () => {
  class Room { render() {} }
  class Drawing { render() {} }
  assert.throws(() => mixIn(Room, Drawing), /Room\.render twice/);
});

test("the room view and the room media load with every part mixed in once", async () => {
  const { RoomView } = await import("../../../web/static/room/view.js");
  const { RoomMedia } = await import("../../../web/static/room/media.js");
  for (const name of ["render", "message", "addMember", "lobbyJoined", "moderation", "thread", "question", "when"]) {
    assert.equal(typeof RoomView.prototype[name], "function", name);
  }
  for (const name of ["connect", "openRelay", "av", "join", "renderTiles", "debug"]) {
    assert.equal(typeof RoomMedia.prototype[name], "function", name);
  }
  assert.equal(Object.getOwnPropertyDescriptor(RoomMedia.prototype, "live").get !== undefined, true);
});
