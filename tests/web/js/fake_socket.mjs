// A stand-in for the browser's WebSocket, for the room connection's tests: it keeps what the page
// sent and lets the test open it and deliver frames. The last one made is FakeSocket.last.
export class FakeSocket {
  static last = null;
  constructor(url) {
    this.url = url;
    this.readyState = 1;
    this.sent = [];
    FakeSocket.last = this;
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {}
  open() {
    this.onopen();
  }
  receive(frame) {
    this.onmessage({ data: JSON.stringify(frame) });
  }
}
