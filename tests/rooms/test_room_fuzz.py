"""Random frames thrown at the real endpoint: the room answers, closes only with documented codes,
and goes on working for everyone else."""

import json

import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.roomclient import connect
from tests.rooms.support import open_room_with_parents

DOCUMENTED_CLOSE_CODES = {1000, 1009, 4000, 4001, 4003, 4004, 4008, 4009, 4010, 4011, 4023, 4029}

values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
frames = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda kind, fields: json.dumps({"type": kind, **fields}),
        st.sampled_from(
            [
                "send",
                "private",
                "ask",
                "upvote",
                "hand",
                "report",
                "ping",
                "open",
                "end",
                "admit",
                "deny",
                "delete",
                "mute",
                "remove",
                "ban",
                "lock",
                "slow_mode",
                "lobby",
                "question",
                "signal",
                "av",
                "av_control",
                "relay",
                "x",
            ]
        ),
        st.dictionaries(
            st.sampled_from(
                [
                    "cid",
                    "text",
                    "to",
                    "seq",
                    "peer",
                    "seconds",
                    "raised",
                    "locked",
                    "enabled",
                    "question",
                    "action",
                    "reason",
                    "kind",
                    "sdp",
                    "publisher",
                    "mic",
                ]
            ),
            values,
            max_size=4,
        ),
    ),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(frames, min_size=1, max_size=12))
async def test_random_frames_from_a_parent_never_break_the_room(live_server, org, clock, batch):
    state = live_server.__dict__.setdefault("fuzz", {})
    if not state:
        sockets = live_server.app.state.hub.sockets
        sockets.rate_per_second = sockets.burst = 10_000
        room, facilitator, parents = await open_room_with_parents(
            live_server, org, clock, "Mustikka"
        )
        state.update(room=room, facilitator=facilitator, parent=parents["Mustikka"], n=0)
    parent = state["parent"]
    for raw in batch:
        try:
            await parent.ws.send(raw)
        except websockets.ConnectionClosed:
            break
    try:
        for _ in range(len(batch)):
            await parent.next(0.5)
    except TimeoutError:
        pass
    except websockets.ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code in DOCUMENTED_CLOSE_CODES
        state["parent"] = await connect(
            live_server, state["room"].session_id, link=state["room"].parent_links["Mustikka"]
        )
    # The room still works for the facilitator.
    state["n"] += 1
    text = f"tarkistus {state['n']}"
    await state["facilitator"].say(text)
    await state["facilitator"].expect("message", text=text)
