// The room view's stage questions: asking, the list, votes and moderators' actions on them.
import { el } from "./dom.js";
import { questionOrder, questionView } from "./questions.js";
import { format } from "./text.js";

const MAX_QUESTION = 500;

/** Methods of RoomView (view.js mixes them in): they read and write its state through `this`. */
export class RoomQuestions {
  ask() {
    const { ui, S } = this;
    const text = ui.askText.value.trim();
    if (!text || !this.you) return;
    if (text.length > MAX_QUESTION) return this.error({ code: "too_long" });
    const cid = this.conn.sendReliable("ask", { text });
    if (!cid) return this.error({ code: "too_long" });
    const li = el("li", { class: "question pending" },
      el("p", { class: "q-text", text }), el("p", { class: "msg-state", text: S.sending }));
    this.pending.set(cid, { li, kind: "ask", text });
    ui.questions.append(li);
    ui.askText.value = "";
    ui.askText.focus();
  }

  question(frame, replay) {
    if (!Number.isInteger(frame.seq)) return;
    this.settlePending(frame.cid, frame.seq);
    let question = this.questions.get(frame.seq);
    if (!question) {
      question = { seq: frame.seq, peer: frame.peer, name: frame.name, text: frame.text, at: frame.at };
      this.questions.set(frame.seq, question);
      this.questionItem(question);
    }
    question.status = frame.status || "pending";
    question.votes = Number(frame.votes) || 0;
    this.updateQuestion(question, !replay);
  }

  questionItem(question) {
    const { S } = this;
    const seq = question.seq;
    const status = el("span", { class: "q-status" });
    const votes = el("span", { class: "q-votes" });
    const upvote = this.button("upvote", S.upvote, { seq }, "quiet");
    const approve = this.button("question", S.approve, { seq, action: "approve" }, "quiet mod-only");
    const answered = this.button("question", S.mark_answered, { seq, action: "answered" }, "quiet mod-only");
    const hide = this.button("question", S.hide, { seq, action: "hide" }, "quiet danger mod-only");
    question.li = el("li", { class: "question", "data-seq": seq },
      el("p", { class: "q-text", text: question.text }),
      el("p", { class: "q-meta" },
        el("span", { class: "msg-name", text: question.name || S.someone }), " ",
        this.timeElement(question.at), " ", status, " ", votes),
      el("div", { class: "actions" }, upvote, approve, answered, hide));
    question.parts = { status, votes, upvote, approve, answered, hide };
    this.ui.questions.append(question.li);
  }

  updateQuestion(question, resort = false) {
    const { S } = this;
    const view = questionView(question, this.you?.peer ?? null, this.voted.has(question.seq));
    if (view === null) {
      this.questions.delete(question.seq);
      this.removeKeepingFocus(question.li, this.ui.qaTitle);
      return;
    }
    const { status, votes, upvote, approve, answered, hide } = question.parts;
    question.li.className = `question status-${question.status}`;
    const words = { pending: S.q_pending, answered: S.q_answered, hidden_yours: S.q_hidden_yours };
    status.textContent = words[view.status] || "";
    votes.textContent = format(S.votes, { votes: question.votes || 0 });
    votes.hidden = view.status === "hidden_yours";
    // A vote given is said in words; the button keeps its place, so focus stays on it.
    upvote.hidden = view.vote === "none";
    upvote.textContent = view.vote === "voted" ? S.voted : S.upvote;
    upvote.setAttribute("aria-disabled", String(view.vote !== "can"));
    approve.hidden = question.status !== "pending";
    answered.hidden = question.status !== "approved";
    hide.hidden = question.status === "hidden";
    if (resort) this.sortQuestions();
  }

  /** Pending first (for moderators), then approved by votes, then answered; focus is kept. */
  sortQuestions() {
    const list = this.ui.questions;
    const focused = list.contains(document.activeElement) ? document.activeElement : null;
    const items = [...this.questions.values()].sort(questionOrder);
    const order = items.map((q) => q.li);
    if (order.every((li, i) => list.children[i] === li)) return;
    for (const li of order) list.append(li);
    for (const entry of this.pending.values()) if (entry.kind === "ask") list.append(entry.li);
    focused?.focus();
  }
}
