// A write the server could not store just now (error "not_stored", docs/protocol.md) is not
// failed: it stays in the outbox and is sent again with the same cid after retry_after, so that
// it lands once whether or not the first attempt was stored after all.
import assert from "node:assert/strict";
import { mock, test } from "node:test";

import { RoomConnection } from "../../../web/static/room/connection.js";
import { FakeSocket } from "./fake_socket.mjs";

function admitted() {
  const location = { href: "http://tupa.example/me/rooms/1" };
  const connection = new RoomConnection("/me/rooms/1/socket", { location, Socket: FakeSocket });
  const failed = [];
  connection.addEventListener("failed", (event) => failed.push(event.detail));
  connection.connect();
  FakeSocket.last.open();
  FakeSocket.last.receive({ type: "welcome", events: [], seq: 0 });
  return { connection, failed, socket: FakeSocket.last };
}

const writes = (socket) => socket.sent.filter((frame) => frame.type === "send");

test("a send answered not_stored is sent again with the same cid after retry_after", () => {
  mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  try {
    const { connection, failed, socket } = admitted();
    const cid = connection.sendReliable("send", { text: "hei" });
    socket.receive({ type: "error", code: "not_stored", message: "…", retry_after: 2, cid });
    assert.deepEqual(failed, []);
    assert.equal(connection.unconfirmed, 1);
    assert.equal(writes(socket).length, 1);

    mock.timers.tick(1999);
    assert.equal(writes(socket).length, 1);
    mock.timers.tick(1);
    assert.deepEqual(writes(socket).map((frame) => frame.cid), [cid, cid]);

    socket.receive({ type: "ack", cid, seq: 7 });
    assert.equal(connection.unconfirmed, 0);
    connection.close();
  } finally {
    mock.timers.reset();
  }
});

test("other refusals of a send still fail it", () => {
  const { connection, failed, socket } = admitted();
  const cid = connection.sendReliable("send", { text: "hei" });
  socket.receive({ type: "error", code: "muted", message: "…", retry_after: 30, cid });
  assert.deepEqual(failed.map((detail) => detail.cid), [cid]);
  assert.equal(connection.unconfirmed, 0);
  connection.close();
});
