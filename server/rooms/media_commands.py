"""The room's rules for media: signalling, relay requests, microphones and cameras (pure).

A person's own microphone and camera state, what moderators allow, and whether an SDP may be
used in the room's mode and topology.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from server.rooms import commands as c
from server.rooms import media
from server.rooms.decision import Decision, refuse
from server.rooms.events import EVERYONE, NOBODY, Audience, Event, EventType
from server.rooms.frames import RoomError
from server.rooms.sdp import Sdp
from server.rooms.stage import about
from server.rooms.state import AvState, Member, MemberStatus, RoomState
from server.scheduling.series import MediaMode


def signal(state: RoomState, actor: Member, command: c.Signal, now: datetime) -> Decision:
    """Pass WebRTC signalling to one person whose media connects with the actor's; refuse
    sending what may not be sent.

    Only the mesh connects browsers to each other: with the relay (always on a stage, so never
    audience to audience) every browser negotiates with the relay alone, through ``relay``
    frames, and a ``signal`` could only be a channel past the room's moderation. In the mesh
    both people are admitted and here, and at least one of them may publish.
    """
    if state.mode is MediaMode.CHAT or media.topology(state) is media.Topology.RELAY:
        return refuse(RoomError.WRONG_MODE)
    target = state.members.get(command.to)
    if (
        target is None
        or target.peer == actor.peer
        or target.status is not MemberStatus.ADMITTED
        or not target.online
    ):
        return refuse(RoomError.UNKNOWN_PEER)
    if not (
        media.may_publish(actor.role, state.mode) or media.may_publish(target.role, state.mode)
    ):
        return refuse(RoomError.NOT_ALLOWED)
    data: dict[str, Any] = {"from": actor.peer, "kind": command.kind.value}
    if command.sdp is not None:
        refusal = _sending_refusal(actor, state, command.sdp)
        if refusal:
            return refuse(refusal)
        data["sdp"] = command.sdp.text
    if command.kind is c.SignalKind.CANDIDATE:
        data["candidate"] = command.candidate.wire() if command.candidate else None
    audience = Audience(peers=frozenset({target.peer}))
    return Decision([Event(EventType.SIGNAL, data, audience, actor.peer)])


def _sending_refusal(actor: Member, state: RoomState, sdp: Sdp) -> RoomError | None:
    """Why an SDP of the actor's may not be used: it sends what their role may not send in this
    mode, or what a moderator stopped."""
    sending = media.sent_kinds(sdp)
    if sending and not media.may_publish(actor.role, state.mode):
        return RoomError.NOT_ALLOWED
    if ("audio" in sending and not actor.av.mic_allowed) or (
        "video" in sending and not actor.av.camera_allowed
    ):
        return RoomError.MEDIA_STOPPED
    return None


def relay_request(
    state: RoomState, actor: Member, command: c.RelayRequest, now: datetime
) -> Decision:
    """Whether a relay request may go ahead; the hub then carries it out with the relay.

    Publishing follows the same rules as a mesh offer. Subscribing needs a publisher who is in
    the room and publishing at the relay now; a subscriber's answer must not send anything.
    Unpublishing and leaving are always allowed (a client switching back to the mesh leaves).
    """
    if state.mode is MediaMode.CHAT:
        return refuse(RoomError.WRONG_MODE)
    kind = command.kind
    if kind in (c.RelayKind.UNPUBLISH, c.RelayKind.LEAVE):
        return Decision()
    if media.topology(state) is not media.Topology.RELAY:
        return refuse(RoomError.WRONG_MODE)
    if kind is c.RelayKind.PUBLISH:
        assert command.sdp is not None
        if not media.may_publish(actor.role, state.mode):
            return refuse(RoomError.NOT_ALLOWED)
        refusal = _sending_refusal(actor, state, command.sdp)
        return refuse(refusal) if refusal else Decision()
    publisher = state.members.get(command.publisher or "")
    if (
        publisher is None
        or publisher.peer == actor.peer
        or publisher.status is not MemberStatus.ADMITTED
        or not publisher.online
        or not publisher.av.relay
    ):
        return refuse(RoomError.UNKNOWN_PEER)
    if kind is c.RelayKind.ANSWER and command.sdp is not None and media.sent_kinds(command.sdp):
        return refuse(RoomError.NOT_ALLOWED)
    return Decision()


def relay_published(member: Member) -> list[Event]:
    """The member publishes (anew) at the relay: a new number tells others to subscribe."""
    av = replace(member.av, relay=member.av.relay + 1)
    return [_av_event(member, av, member)]


def relay_ended(member: Member) -> list[Event]:
    """The member no longer publishes at the relay (if they did)."""
    if not member.av.relay:
        return []
    return [_av_event(member, replace(member.av, relay=0), member)]


def relay_moved(member: Member) -> list[Event]:
    """The room moved to another relay (``server.rooms.relay_moves``): the member's publication
    there is gone. ``moved`` tells their own browser to publish anew; the others unsubscribe
    and subscribe to the new publication when it comes (a new ``relay`` number)."""
    if not member.av.relay:
        return []
    event = _av_event(member, replace(member.av, relay=0), member)
    return [replace(event, data={**event.data, "moved": True})]


def relay_resubscribe(member: Member, subscribers: frozenset[str]) -> list[Event]:
    """The relay that served ``subscribers`` died (a stage's second relay): they drop their
    subscriptions to the member's publication and subscribe again (its ``relay`` number, after
    a 0), served by the room's first relay. Nobody else hears of it."""
    if not member.av.relay or not subscribers:
        return []
    audience = Audience(peers=subscribers)
    gone = _av_event(member, replace(member.av, relay=0), member, audience)
    return [gone, _av_event(member, member.av, member, audience)]


def _av_event(target: Member, av: AvState, actor: Member, audience: Audience = EVERYONE) -> Event:
    return Event(EventType.AV, {"peer": target.peer, **av.public()}, audience, actor.peer)


def av(state: RoomState, actor: Member, command: c.Av, now: datetime) -> Decision:
    """A person's own microphone, camera and hidden-face state, for everyone's tiles."""
    if state.mode is MediaMode.CHAT:
        return refuse(RoomError.WRONG_MODE)
    if (command.mic or command.camera) and not media.may_publish(actor.role, state.mode):
        return refuse(RoomError.NOT_ALLOWED)
    if (command.mic and not actor.av.mic_allowed) or (
        command.camera and not actor.av.camera_allowed
    ):
        return refuse(RoomError.MEDIA_STOPPED)
    av = replace(actor.av, mic=command.mic, camera=command.camera, blurred=command.blurred)
    if av == actor.av:
        return Decision()
    return Decision([_av_event(actor, av, actor, about(state, actor))])


def av_control(state: RoomState, actor: Member, command: c.AvControl, now: datetime) -> Decision:
    """A moderator stops (or allows again) someone's microphone or camera.

    Everyone is told at once (receiving browsers stop playing it); the person's signalling that
    would send it is refused from now on; the change goes to the moderation log.
    """
    if state.mode is MediaMode.CHAT:
        return refuse(RoomError.WRONG_MODE)
    target = state.members.get(command.peer)
    if target is None or target.status is not MemberStatus.ADMITTED:
        return refuse(RoomError.UNKNOWN_PEER)
    before = target.av
    av = replace(
        before,
        mic=before.mic and command.mic_allowed,
        camera=before.camera and command.camera_allowed,
        mic_allowed=command.mic_allowed,
        camera_allowed=command.camera_allowed,
    )
    actions = []
    if av.mic_allowed != before.mic_allowed:
        actions.append("mic_allowed" if av.mic_allowed else "mic_stopped")
    if av.camera_allowed != before.camera_allowed:
        actions.append("camera_allowed" if av.camera_allowed else "camera_stopped")
    if not actions:
        return Decision()
    logged = {"peer": target.peer, "name": target.name, "actions": actions}
    return Decision(
        [
            _av_event(target, av, actor, about(state, target)),
            Event(EventType.MEDIA_MODERATION, logged, NOBODY, actor.peer),
        ]
    )
