// A long resume comes as a welcome and "replay" frames (docs/protocol.md): the connection passes
// on every event once, in order, and resumes from the last page it got.
import assert from "node:assert/strict";
import { test } from "node:test";

import { RoomConnection } from "../../../web/static/room/connection.js";
import { FakeSocket } from "./fake_socket.mjs";

function connected() {
  const location = { href: "http://tupa.example/me/rooms/1" };
  const connection = new RoomConnection("/me/rooms/1/socket", { location, Socket: FakeSocket });
  const frames = [];
  connection.addEventListener("frame", (event) => frames.push(event.detail));
  connection.connect();
  FakeSocket.last.open();
  return { connection, frames, socket: FakeSocket.last };
}

const message = (seq) => ({ type: "message", seq, text: `m${seq}` });

test("the pages of a long resume are passed on in order and move last_seq page by page", () => {
  const { connection, frames, socket } = connected();
  socket.receive({ type: "welcome", events: [message(1), message(2)], seq: 2, more: true });
  assert.equal(connection.lastSeq, 2);
  socket.receive({ type: "replay", events: [message(3), message(4)], seq: 4, more: true });
  socket.receive({ type: "replay", events: [message(4), message(5)], seq: 5, more: false });
  socket.receive(message(6));
  const seqs = frames.flatMap((f) => (f.events ? f.events.map((e) => e.seq) : [f.seq]));
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(frames.map((f) => f.type), ["welcome", "replay", "replay", "message"]);
  assert.equal(connection.lastSeq, 6);
  connection.close();
});

test("a connection cut off between pages resumes after the last page it got", () => {
  const { connection, socket } = connected();
  socket.receive({ type: "welcome", events: [message(1)], seq: 1, more: true });
  socket.receive({ type: "replay", events: [message(2)], seq: 2, more: true });
  assert.equal(connection.lastSeq, 2);
  socket.onclose({ code: 4008 });
  connection.retryNow();
  FakeSocket.last.open();
  assert.deepEqual(FakeSocket.last.sent[0], { type: "hello", v: 1, last_seq: 2 });
  connection.close();
});
