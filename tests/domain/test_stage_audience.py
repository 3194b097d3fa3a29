"""On a stage the audience sees the speakers and staff and a count of itself, never each other
(no sockets: the rules, the welcome and the events each person would receive)."""

import json
from datetime import UTC, datetime
from typing import Any

from server.rooms import commands as c
from server.rooms import entry
from server.rooms.apply import apply
from server.rooms.events import Event
from server.rooms.protocol import decide
from server.rooms.stage import watching
from server.rooms.state import Member, MemberStatus, ParticipantRole, RoomState, RoomStatus
from server.rooms.welcome import welcome_frame
from server.scheduling.series import MediaMode

T0 = datetime(2026, 10, 12, 15, 0, tzinfo=UTC)


class Stage:
    """A room, and every event each person would have received, as the hub delivers them."""

    def __init__(self, mode: MediaMode = MediaMode.STAGE) -> None:
        self.state = RoomState(session_id=1, series_id=1, mode=mode, status=RoomStatus.OPEN)
        self.state.questions_premoderated = False
        self.seq = 0
        self.received: dict[str, list[dict[str, Any]]] = {}
        self.fac = self.arrive("facilitator1", ParticipantRole.FACILITATOR)
        self.vol = self.arrive("volunteer01", ParticipantRole.VOLUNTEER)

    def arrive(self, peer: str, role: ParticipantRole) -> Member:
        member = Member(peer, f"Alias of {peer}", role, MemberStatus.ADMITTED)
        self.received[peer] = []
        self.deliver(entry.arrive(self.state, member))
        self.received[peer].append(self.welcome(member))
        return member

    def welcome(self, member: Member) -> dict[str, Any]:
        return welcome_frame(self.state, self.state.members[member.peer], [], None)

    def do(self, actor: Member, command: c.Command) -> None:
        decision = decide(self.state, actor, command, T0)
        assert decision.error is None, decision.error
        self.deliver(decision.events)

    def deliver(self, events: list[Event]) -> None:
        for event in events:
            if event.lasting:
                self.seq += 1
                event = event.with_seq(self.seq)
            apply(self.state, event.from_instance("here"))
            for peer, frames in self.received.items():
                member = self.state.members.get(peer)
                if member is not None and self.state.can_see(member, event.audience):
                    frames.append(event.wire(peer, self.state.is_moderator(member)))

    def leave(self, member: Member) -> None:
        self.deliver([e.from_instance("here") for e in entry.depart(self.state, member)])


def peers_in(frames: list[dict[str, Any]]) -> str:
    return json.dumps(frames)


def test_the_audience_sees_speakers_and_staff_and_a_count_moderators_see_everyone():
    stage = Stage()
    aino = stage.arrive("parentaaaa", ParticipantRole.PARENT)
    bea = stage.arrive("parentbbbb", ParticipantRole.PARENT)
    seen_by_aino = stage.welcome(aino)
    listed = {m["peer"] for m in seen_by_aino["members"]}
    assert listed == {"facilitator1", "volunteer01", aino.peer}
    assert seen_by_aino["watching"] == 2 == watching(stage.state)
    assert {m["peer"] for m in stage.welcome(stage.fac)["members"]} >= {aino.peer, bea.peer}
    # A volunteer speaks on the stage but does not moderate: they see the count, like the audience.
    assert bea.peer not in peers_in([stage.welcome(stage.vol)])


def test_nothing_an_audience_member_receives_names_another_member_of_the_audience():
    stage = Stage()
    aino = stage.arrive("parentaaaa", ParticipantRole.PARENT)
    bea = stage.arrive("parentbbbb", ParticipantRole.PARENT)
    stage.do(stage.fac, c.Ask("q1", "Miten puhun lapselle erosta?"))
    stage.do(bea, c.Send("m1", "Hei kaikki!"))
    stage.do(bea, c.Ask("q2", "Saako kysyä?"))  # shown at once (no premoderation here)
    stage.state.questions_premoderated = True
    stage.do(bea, c.Ask("q3", "Entä tämä?"))
    stage.do(stage.fac, c.ModerateQuestion(stage.seq, c.QuestionAction.APPROVE))
    stage.do(bea, c.Hand(True))
    stage.do(bea, c.Av(mic=False, camera=False, blurred=True))
    stage.do(bea, c.Upvote(1))
    stage.do(aino, c.Upvote(1))
    stage.do(stage.fac, c.Mute(bea.peer, 300))
    stage.do(stage.fac, c.AvControl(bea.peer, mic_allowed=False, camera_allowed=False))
    stage.do(stage.fac, c.Remove(bea.peer))
    stage.do(stage.fac, c.Ban(bea.peer))
    cai = stage.arrive("parentcccc", ParticipantRole.PARENT)
    stage.leave(cai)

    for frames, others in [
        (stage.received[aino.peer], [bea, cai]),
        (stage.received[cai.peer], [aino, bea]),
    ]:
        text = peers_in(frames)
        for other in others:
            assert other.peer not in text and other.name not in text
    # What Bea wrote reached Aino, without saying who wrote it.
    texts = [f.get("text") or f.get("asked", {}).get("text") for f in stage.received[aino.peer]]
    assert {"Hei kaikki!", "Saako kysyä?", "Entä tämä?"} <= set(texts)
    own = [f for f in stage.received[bea.peer] if f.get("text") == "Hei kaikki!"]
    assert own[0]["name"] == bea.name  # her own message, as hers
    # What is about Bea reached Bea and the moderators.
    bea_saw = [f["type"] for f in stage.received[bea.peer]]
    assert {"hand", "av", "moderation"} <= set(bea_saw)
    fac_saw = peers_in(stage.received[stage.fac.peer])
    assert bea.name in fac_saw and cai.peer in fac_saw
    # The count follows the audience: Bea and Cai are gone.
    assert stage.welcome(aino)["watching"] == 1


def test_votes_carry_counts_and_ones_own_vote_never_the_voters():
    stage = Stage()
    aino = stage.arrive("parentaaaa", ParticipantRole.PARENT)
    bea = stage.arrive("parentbbbb", ParticipantRole.PARENT)
    stage.do(stage.fac, c.Ask("q1", "Kysymys"))
    stage.do(aino, c.Upvote(1))
    stage.do(bea, c.Upvote(1))
    updates = {
        peer: [f for f in frames if f["type"] == "question_update"]
        for peer, frames in stage.received.items()
    }
    assert updates[aino.peer] == [
        {
            "type": "question_update",
            "seq": 2,
            "question": 1,
            "status": "approved",
            "votes": 1,
            "voted": True,
        },
        {"type": "question_update", "seq": 3, "question": 1, "status": "approved", "votes": 2},
    ]
    assert all("voter" not in f for frames in updates.values() for f in frames)
    assert stage.state.questions[1].voters == {aino.peer, bea.peer}  # still counted once each


def test_rooms_that_are_not_a_stage_show_everyone_to_everyone():
    stage = Stage(MediaMode.GROUP)
    aino = stage.arrive("parentaaaa", ParticipantRole.PARENT)
    bea = stage.arrive("parentbbbb", ParticipantRole.PARENT)
    stage.do(bea, c.Hand(True))
    stage.do(stage.fac, c.Mute(bea.peer, 300))
    welcome = stage.welcome(aino)
    assert bea.peer in {m["peer"] for m in welcome["members"]} and "watching" not in welcome
    assert {"presence", "hand", "moderation"} <= {f["type"] for f in stage.received[aino.peer]}
