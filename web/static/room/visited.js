// Who has been in this session and may still be banned (pure: no DOM, no socket).
//
// A moderator's `welcome` carries `visited`: parents who have been in the session, admitted now
// or removed earlier, online or not. Live `presence` events add parents who come in, and a
// `moderation` ban takes a person away for good. The room page shows, under "Earlier in this
// session", the visited people who are not online in the room right now.

/** The people a `welcome` says have been here: its `visited` list and the parents online now. */
export function visitedFromWelcome(frame) {
  const visited = new Map();
  for (const person of [...(frame?.visited || []), ...(frame?.members || [])]) {
    remember(visited, person);
  }
  return visited;
}

/** The map after a live event: a parent's presence is remembered, a ban forgets the person. */
export function visitedAfter(visited, frame) {
  if (!frame) return visited;
  if (frame.type === "presence") {
    const next = new Map(visited);
    remember(next, frame);
    return next;
  }
  if (frame.type === "moderation" && frame.action === "banned" && visited.has(frame.peer)) {
    const next = new Map(visited);
    next.delete(frame.peer);
    return next;
  }
  return visited;
}

/** Visited people not among `present` (the peers online in the room now), sorted by name. */
export function earlier(visited, present) {
  const here = new Set(present);
  return [...visited.values()]
    .filter((person) => !here.has(person.peer))
    .sort((a, b) => a.name.localeCompare(b.name) || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
}

function remember(visited, person) {
  if (!person || typeof person.peer !== "string" || person.role !== "parent") return;
  visited.set(person.peer, { peer: person.peer, name: String(person.name ?? ""), role: person.role });
}
