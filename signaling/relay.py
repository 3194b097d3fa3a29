"""The relay's rooms: the peer connections of publishers and subscribers, wired for forwarding.

One connection per publisher, one per (subscriber, publisher) pair; media flows from publishers to
subscribers without being decoded. The room server decides who may publish, who sees whom and
when a moderator turns a microphone or camera off; this module only carries that out. Rooms and
people are plain strings; SDP is text, complete with every candidate (aiortc gathers first).
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)

from server.errors import ErrorCode, TupaError
from signaling.forwarding import Fanout, ForwardedTrack
from signaling.interface import KINDS
from signaling.passthrough import KeyframeRequests, tap

logger = logging.getLogger(__name__)

# Encoder.pack() re-packetizes what it is given as its own codec, trusting that the subscriber
# negotiated the publisher's codec. So both legs negotiate exactly these (and VP8's RTX).
FORWARDED_CODECS = {"audio": "audio/opus", "video": "video/vp8"}


@dataclass(frozen=True)
class SubscriptionStats:
    """One subscriber's view of one publisher: frames per kind, and the subscriber's own
    keyframe requests and retransmissions asked for (NACKs answered)."""

    subscriber: str
    publisher: str
    forwarded: Mapping[str, int]
    dropped: Mapping[str, int]
    keyframe_requests: int
    retransmitted: int


@dataclass(frozen=True)
class RoomStats:
    """Counts since the room was first used; frames are encoded frames, per kind.

    ``keyframe_requests`` counts every reason to want a keyframe (a subscriber joining, a full
    queue, a subscriber's own PLI); ``plis_sent`` counts the merged PLIs that reached publishers.
    """

    publishers: tuple[str, ...]
    subscribers: tuple[str, ...]
    frames_received: Mapping[str, int]
    frames_forwarded: Mapping[str, int]
    frames_dropped: Mapping[str, int]
    frames_withheld: Mapping[str, int]
    keyframe_requests: int
    plis_sent: int
    subscriptions: tuple[SubscriptionStats, ...]


@dataclass(frozen=True)
class RelayLoad:
    """What a relay announces of its load (``signaling.relay_rules``): packets sent ever (a
    counter: the rate is its difference over time), subscriptions and rooms now."""

    packets: int
    subscriptions: int
    rooms: int


@dataclass
class _Publication:
    pc: RTCPeerConnection
    fanouts: dict[str, Fanout] = field(default_factory=dict)
    keyframes: KeyframeRequests | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


@dataclass
class _Subscription:
    pc: RTCPeerConnection
    tracks: dict[str, ForwardedTrack] = field(default_factory=dict)


@dataclass
class _Totals:
    received: Counter[str] = field(default_factory=Counter)
    withheld: Counter[str] = field(default_factory=Counter)
    forwarded: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    keyframe_requests: int = 0
    plis_sent: int = 0

    def add_publication(self, publication: _Publication) -> None:
        for kind, fanout in publication.fanouts.items():
            self.received[kind] += fanout.received
            self.withheld[kind] += fanout.withheld
        if publication.keyframes is not None:
            self.keyframe_requests += publication.keyframes.asked
            self.plis_sent += publication.keyframes.sent

    def add_subscription(self, subscription: _Subscription) -> None:
        for kind, track in subscription.tracks.items():
            self.forwarded[kind] += track.forwarded
            self.dropped[kind] += track.dropped


@dataclass
class _Room:
    publications: dict[str, _Publication] = field(default_factory=dict)
    subscriptions: dict[tuple[str, str], _Subscription] = field(default_factory=dict)
    paused: set[tuple[str, str]] = field(default_factory=set)
    # What closed connections counted, so that the room's totals never go down.
    closed: _Totals = field(default_factory=lambda: _Totals())


class Relay:
    """One process's relay: rooms of publishers and subscribers, forwarding without re-encoding.

    Each packet from a publisher is sent on to every subscriber as it arrives, rewritten for
    each subscriber's connection (``signaling.forwarding``). Forwarding runs on this event loop:
    one relay process uses at most one core.
    """

    def __init__(self, ice_servers: list[RTCIceServer] | None = None) -> None:
        # No ICE servers means host candidates only: aiortc would otherwise ask Google's STUN
        # server, which a self-hosted deployment should not do unasked.
        self._ice_servers = list(ice_servers or [])
        self._rooms: dict[str, _Room] = {}
        self._closed = False
        self._cleanups: set[asyncio.Task[None]] = set()
        self._packets_closed = 0  # sent by subscriptions closed since (see load())

    async def publish(self, room: str, publisher: str, offer_sdp: str) -> str:
        """Accept a publisher's offer of at most one audio and one video track; return the answer.

        Publishing again replaces the earlier connection and ends its subscriptions: subscribers
        subscribe anew. A microphone or camera stopped by a moderator stays stopped.
        Raises ``INVALID_INPUT`` for an offer that cannot be applied, offers neither Opus nor
        VP8, or offers more than one track of a kind; ``NOT_FOUND`` if the publisher left while
        the offer was being answered.
        """
        state = self._room(room)
        await self._close_publication(state, publisher)
        pc = self._peer_connection(RTCBundlePolicy.BALANCED)  # whether the offer bundles or not
        publication = _Publication(pc)
        state.publications[publisher] = publication
        self._close_when_failed(
            room,
            pc,
            lambda: state.publications.get(publisher) is publication,
            lambda: self._close_publication(state, publisher),
        )
        try:
            # A transceiver only for the kinds offered: aiortc cannot answer with one that no
            # m-line took up, so a microphone without a camera (or the reverse) would fail.
            offered = _offered_kinds(offer_sdp)
            for kind in offered:
                _negotiate_forwarded_codec(pc.addTransceiver(kind, direction="recvonly"))
            await self._apply(pc, RTCSessionDescription(sdp=offer_sdp, type="offer"))
            incoming = [t for t in pc.getTransceivers() if t.receiver.track is not None]
            if not incoming:
                raise TupaError(ErrorCode.INVALID_INPUT, reason="no audio or video to receive")
            for t in incoming:
                self._forward(publication, t, paused=(publisher, t.kind) in state.paused)
            await pc.setLocalDescription(await pc.createAnswer())
            if state.publications.get(publisher) is not publication:
                raise _Left
        except BaseException as exc:
            current = state.publications.get(publisher) is publication
            close = self._close_publication(state, publisher) if current else pc.close()
            await self._give_up(room, close, exc, current, publisher)
            raise
        logger.info("room %s: %s publishes %s", room, publisher, sorted(publication.fanouts))
        return pc.localDescription.sdp

    async def subscribe(self, room: str, subscriber: str, publisher: str) -> str:
        """Offer the subscriber the publisher's tracks, send-only; :meth:`answer` completes it.

        Subscribing again to the same publisher replaces the earlier connection.
        Raises ``NOT_FOUND`` if the publisher is not publishing in the room (or left meanwhile).
        """
        self._check_open()
        state = self._rooms.get(room)
        publication = state.publications.get(publisher) if state else None
        if state is None or publication is None:
            raise TupaError(ErrorCode.NOT_FOUND, room=room, publisher=publisher)
        key = (subscriber, publisher)
        await self._close_subscription(state, key)
        pc = self._peer_connection(RTCBundlePolicy.MAX_BUNDLE)  # one ICE transport to gather
        subscription = _Subscription(pc)
        state.subscriptions[key] = subscription
        self._close_when_failed(
            room,
            pc,
            lambda: state.subscriptions.get(key) is subscription,
            lambda: self._close_subscription(state, key),
        )
        try:
            for kind, fanout in publication.fanouts.items():
                track = fanout.track()
                transceiver = pc.addTransceiver(track, direction="sendonly")
                _negotiate_forwarded_codec(transceiver)
                track.attach(transceiver.sender)
                subscription.tracks[kind] = track
            await pc.setLocalDescription(await pc.createOffer())
            if state.subscriptions.get(key) is not subscription:
                raise _Left
        except BaseException as exc:
            current = state.subscriptions.get(key) is subscription
            close = self._close_subscription(state, key) if current else pc.close()
            await self._give_up(room, close, exc, current, subscriber)
            raise
        return pc.localDescription.sdp

    async def answer(self, room: str, subscriber: str, publisher: str, answer_sdp: str) -> None:
        """Apply the subscriber's answer to :meth:`subscribe`'s offer; media starts flowing.

        Raises ``NOT_FOUND`` without a pending subscription, ``INVALID_INPUT`` for an answer
        that cannot be applied.
        """
        state = self._rooms.get(room)
        key = (subscriber, publisher)
        subscription = state.subscriptions.get(key) if state else None
        if state is None or subscription is None:
            raise TupaError(ErrorCode.NOT_FOUND, room=room, subscriber=subscriber)
        try:
            await self._apply(subscription.pc, RTCSessionDescription(sdp=answer_sdp, type="answer"))
        except TupaError as exc:
            current = state.subscriptions.get(key) is subscription
            _raise_not_found_if_left(exc.__cause__ or exc, current, room=room, person=subscriber)
            raise

    async def stop_forwarding(self, room: str, publisher: str, kind: str) -> None:
        """Stop forwarding the publisher's audio or video to everyone, until resumed.

        It holds even if the publisher has not published yet or publishes again. Raises
        ``INVALID_INPUT`` for a kind other than ``"audio"`` or ``"video"``.
        """
        _check_kind(kind)
        state = self._room(room)
        state.paused.add((publisher, kind))
        fanout = _fanout(state, publisher, kind)
        if fanout is not None:
            fanout.pause()

    async def resume_forwarding(self, room: str, publisher: str, kind: str) -> None:
        """Forward again what :meth:`stop_forwarding` stopped; video restarts at a new keyframe.

        Raises ``INVALID_INPUT`` for a kind other than ``"audio"`` or ``"video"``.
        """
        _check_kind(kind)
        state = self._rooms.get(room)
        if state is None:
            return
        state.paused.discard((publisher, kind))
        fanout = _fanout(state, publisher, kind)
        if fanout is not None:
            fanout.resume()
        self._forget_if_unused(room)

    async def unpublish(self, room: str, publisher: str) -> None:
        """Close the publisher's connection and the subscriptions to it; theirs stay open."""
        state = self._rooms.get(room)
        if state is None:
            return
        await self._close_publication(state, publisher)
        self._forget_if_unused(room)

    async def leave(self, room: str, person: str) -> None:
        """Close the person's publication, its subscriptions and the person's own subscriptions,
        and forget what was stopped for them: the room server says it again if they return."""
        state = self._rooms.get(room)
        if state is None:
            return
        state.paused = {(p, kind) for p, kind in state.paused if p != person}
        await self._close_publication(state, person)
        await self._close_subscriptions(state, [k for k in state.subscriptions if k[0] == person])
        self._forget_if_unused(room)

    async def close(self) -> None:
        """Close every connection; the relay accepts no more."""
        self._closed = True
        for state in self._rooms.values():
            for publisher in list(state.publications):
                await self._close_publication(state, publisher)
            await self._close_subscriptions(state, list(state.subscriptions))
        self._rooms.clear()

    def load(self) -> RelayLoad:
        """How busy the relay is: packets sent to subscribers ever, subscriptions and rooms now."""
        live = sum(
            track.packets
            for state in self._rooms.values()
            for subscription in state.subscriptions.values()
            for track in subscription.tracks.values()
        )
        subscriptions = sum(len(state.subscriptions) for state in self._rooms.values())
        return RelayLoad(self._packets_closed + live, subscriptions, len(self._rooms))

    def stats(self) -> dict[str, RoomStats]:
        """Per room: who publishes and subscribes, frames per kind, keyframe requests and PLIs."""
        return {room: _room_stats(state) for room, state in self._rooms.items()}

    async def _give_up(
        self,
        room: str,
        close: Awaitable[None],
        exc: BaseException,
        current: bool,
        person: str,
    ) -> None:
        """Undo a negotiation that failed: close its connection (still the person's, or one a
        newer negotiation replaced) and forget the room if it is now empty. A person who left
        meanwhile becomes NOT_FOUND; other errors go on as they were."""
        await close
        self._forget_if_unused(room)
        _raise_not_found_if_left(exc, current, room=room, person=person)

    def _close_when_failed(
        self,
        room: str,
        pc: RTCPeerConnection,
        current: Callable[[], bool],
        close: Callable[[], Awaitable[None]],
    ) -> None:
        """A connection whose ICE failed (the browser went away without a word, its network
        changed) is closed, so that it neither counts in the stats nor keeps forwarding tasks
        alive; the room server's presence is what tells people to connect again."""

        async def drop() -> None:
            await close()
            self._forget_if_unused(room)

        @pc.on("connectionstatechange")
        def changed() -> None:
            if pc.connectionState == "failed" and current() and not self._closed:
                task = asyncio.ensure_future(drop())
                self._cleanups.add(task)
                task.add_done_callback(self._cleanups.discard)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the relay is closed")

    def _room(self, room: str) -> _Room:
        self._check_open()
        return self._rooms.setdefault(room, _Room())

    def _forget_if_unused(self, room: str) -> None:
        state = self._rooms.get(room)
        if state and not (state.publications or state.subscriptions or state.paused):
            del self._rooms[room]

    def _peer_connection(self, policy: RTCBundlePolicy) -> RTCPeerConnection:
        configuration = RTCConfiguration(iceServers=self._ice_servers, bundlePolicy=policy)
        return RTCPeerConnection(configuration)

    @staticmethod
    async def _apply(pc: RTCPeerConnection, description: RTCSessionDescription) -> None:
        try:
            await pc.setRemoteDescription(description)
        except Exception as exc:  # aiortc raises a handful of types for unusable SDP
            raise TupaError(ErrorCode.INVALID_INPUT, reason=str(exc)) from exc

    @staticmethod
    def _forward(publication: _Publication, transceiver: RTCRtpTransceiver, paused: bool) -> None:
        """Send the publisher's packets of this track on to subscribers, from the first one."""
        kind, receiver = transceiver.kind, transceiver.receiver
        ask_keyframe = None
        if kind == "video":
            keyframes = publication.keyframes = KeyframeRequests(receiver)
            publication.tasks.append(asyncio.create_task(keyframes.run()))
            ask_keyframe = keyframes.ask
        fanout = publication.fanouts[kind] = Fanout(kind, ask_keyframe)
        fanout.paused = paused
        tap(receiver, fanout.forward)
        publication.tasks.append(asyncio.create_task(fanout.run(receiver.track)))

    async def _close_publication(self, state: _Room, publisher: str) -> None:
        publication = state.publications.pop(publisher, None)
        if publication is None:
            return
        await self._close_subscriptions(
            state, [k for k in state.subscriptions if k[1] == publisher]
        )
        await publication.pc.close()
        for task in publication.tasks:
            task.cancel()
        await asyncio.gather(*publication.tasks, return_exceptions=True)
        state.closed.add_publication(publication)

    async def _close_subscriptions(self, state: _Room, keys: Iterable[tuple[str, str]]) -> None:
        await asyncio.gather(*(self._close_subscription(state, key) for key in keys))

    async def _close_subscription(self, state: _Room, key: tuple[str, str]) -> None:
        subscription = state.subscriptions.pop(key, None)
        if subscription is None:
            return
        await subscription.pc.close()
        for track in subscription.tracks.values():
            track.stop()
            self._packets_closed += track.packets
        state.closed.add_subscription(subscription)


class _Left(Exception):
    """The person left (or was replaced) while their connection was being negotiated."""


def _raise_not_found_if_left(exc: BaseException, current: bool, **params: str) -> None:
    """A failure caused by the person leaving mid-negotiation reports that, not the symptom."""
    if not current and isinstance(exc, Exception) and not isinstance(exc, TupaError):
        raise TupaError(ErrorCode.NOT_FOUND, **params) from exc


def _offered_kinds(offer_sdp: str) -> list[str]:
    """The media kinds of the offer's m-lines that the relay forwards, each at most once.

    Raises ``INVALID_INPUT`` for an offer with more than one m-line of a kind.
    """
    kinds = [
        kind
        for line in offer_sdp.splitlines()
        if line.startswith("m=") and (kind := line[2:].split(" ", 1)[0]) in KINDS
    ]
    if len(kinds) != len(set(kinds)):
        raise TupaError(ErrorCode.INVALID_INPUT, reason="one audio and one video at most")
    return kinds


def _negotiate_forwarded_codec(transceiver: RTCRtpTransceiver) -> None:
    kind = transceiver.kind
    wanted = {FORWARDED_CODECS[kind], f"{kind}/rtx"}
    transceiver.setCodecPreferences(
        [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType.lower() in wanted]
    )


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise TupaError(ErrorCode.INVALID_INPUT, kind=kind)


def _fanout(state: _Room, publisher: str, kind: str) -> Fanout | None:
    publication = state.publications.get(publisher)
    return publication.fanouts.get(kind) if publication else None


def _room_stats(state: _Room) -> RoomStats:
    totals = copy.deepcopy(state.closed)
    for publication in state.publications.values():
        totals.add_publication(publication)
    for subscription in state.subscriptions.values():
        totals.add_subscription(subscription)

    def per_kind(counts: Counter[str]) -> dict[str, int]:
        return {kind: counts[kind] for kind in KINDS}

    return RoomStats(
        publishers=tuple(sorted(state.publications)),
        subscribers=tuple(sorted({subscriber for subscriber, _ in state.subscriptions})),
        frames_received=per_kind(totals.received),
        frames_forwarded=per_kind(totals.forwarded),
        frames_dropped=per_kind(totals.dropped),
        frames_withheld=per_kind(totals.withheld),
        keyframe_requests=totals.keyframe_requests,
        plis_sent=totals.plis_sent,
        subscriptions=tuple(
            SubscriptionStats(
                subscriber=subscriber,
                publisher=publisher,
                forwarded={kind: t.forwarded for kind, t in s.tracks.items()},
                dropped={kind: t.dropped for kind, t in s.tracks.items()},
                keyframe_requests=sum(t.keyframe_requests for t in s.tracks.values()),
                retransmitted=sum(t.retransmitted for t in s.tracks.values()),
            )
            for (subscriber, publisher), s in state.subscriptions.items()
        ),
    )
