// How one stage question shows to the person looking at it (pure: no DOM).
//
// The server decides who is sent a question and its updates (docs/protocol.md, "Stage"): a
// question a moderator hides reaches its author too, and on a stage only the author and the
// moderators are told whose it is. This module decides what the page makes of that: the author
// keeps their hidden question with a notice saying so, everyone else just stops seeing it; a vote
// already given is said in words, not only by a greyed button.

/** The order questions are listed in: pending first (moderators), then approved, answered, and
 * last the author's own hidden ones. */
export const QUESTION_RANK = { pending: 0, approved: 1, answered: 2, hidden: 3 };

/** Compares two questions ({seq, status, votes}) for the list: by QUESTION_RANK (an unknown
 * status with the hidden ones), then most votes first, then the order they were asked in. */
export function questionOrder(a, b) {
  const rank = QUESTION_RANK;
  return (rank[a.status] ?? 3) - (rank[b.status] ?? 3) || (b.votes || 0) - (a.votes || 0) || a.seq - b.seq;
}

/** What `question` ({peer, status}) shows to the person `you` (their peer, or null): null when it
 * is not shown at all, otherwise `status` (the key of the words beside it, or null) and `vote`:
 * "can" (the vote button), "voted" (the button says it was given), or "none" (no button: not
 * approved yet, answered, or one's own question). A deleted question is gone for everyone: it
 * is deleted when its author's data is erased, not by a moderator. */
export function questionView(question, you, voted) {
  const mine = Boolean(you) && question.peer === you;
  if (question.status === "hidden") return mine ? { status: "hidden_yours", vote: "none" } : null;
  if (!(question.status in QUESTION_RANK)) return null; // deleted, or newer than this page
  let vote = "none";
  if (question.status === "approved" && !mine) vote = voted ? "voted" : "can";
  const status = question.status === "pending" || question.status === "answered" ? question.status : null;
  return { status, vote };
}
