"""Client frames are untrusted input: whatever arrives, parse_frame answers with a command or a
FrameError carrying a stable code, never another exception (docs/protocol.md, error codes)."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.rooms import commands as c
from server.rooms import frames as f
from server.rooms.frames import FrameError, RoomError, parse_frame

SDP = "v=0\\nm=audio 9 RTP/AVP 0\\n"


def refusal(raw: str | bytes) -> RoomError:
    try:
        command = parse_frame(raw)
    except FrameError as error:
        return error.code
    raise AssertionError(f"accepted: {command!r}")


@pytest.mark.parametrize(
    "raw",
    [
        '{"type":"send","cid":"x","text":"hei \\ud800"}',
        '{"type":"send","cid":"x","text":"hei \\uDFFF loppu"}',
        '{"type":"send","cid":"x\\ud800","text":"hei"}',
        '{"type":"private","cid":"x","to":"abcdefgh","text":"\\udc00"}',
        '{"type":"ask","cid":"x","text":"kysymys \\ud83d"}',
        '{"type":"report","seq":3,"reason":"syy \\ud800"}',
        '{"type":"signal","to":"abcdefgh","kind":"offer","sdp":"' + SDP + '\\ud800"}',
        '{"type":"signal","to":"abcdefgh","kind":"candidate",'
        '"candidate":{"candidate":"candidate:1 \\ud800","sdpMid":"0"}}',
        '{"type":"relay","kind":"publish","sdp":"' + SDP + '\\ud800"}',
        '{"type":"ping","\\ud800":1}',
        '{"type":"ping","extra":["a",{"b":"\\ud800"}]}',
        '{"type":"send\\ud800","cid":"x","text":"hei"}',
        # The same, as raw characters of a str frame and as bytes of a binary frame.
        '{"type":"send","cid":"x","text":"hei \ud800"}',
        b'{"type":"send","cid":"x","text":"hei \xed\xa0\x80"}',
    ],
)
def test_text_that_cannot_be_encoded_as_utf8_is_refused_in_any_field(raw):
    assert refusal(raw) is RoomError.INVALID_TEXT


def test_escaped_surrogate_pairs_are_ordinary_text():
    command = parse_frame('{"type":"send","cid":"x","text":"hei \\ud83d\\ude00"}')
    assert command == c.Send("x", "hei \U0001f600")


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 1100,
        "{" * 1100,
        '{"a":' * 1100,
        '{"type":"ping","x":' + "[" * 9 + "]" * 9 + "}",
        '{"type":[1]}',
        '{"type":{"a":1}}',
        '{"type":5}',
        '{"type":"hello","v":1,"last_seq":1e999999}',
        '{"type":"hello","v":1,"last_seq":-1e999999}',
        '{"type":"hello","v":1,"last_seq":NaN}',
        '{"type":"hello","v":1,"last_seq":Infinity}',
        '{"type":"delete","seq":' + "9" * 5000 + "}",
        '{"type":"delete","seq":' + "9" * 21 + "}",
    ],
)
def test_frames_the_parser_cannot_read_are_refused_as_invalid_frame(raw):
    assert refusal(raw) is RoomError.INVALID_FRAME
    assert refusal(raw.encode()) is RoomError.INVALID_FRAME


def test_what_was_bad_frame_stays_bad_frame():
    for raw in ("", "[1]", '"x"', "{}", '{"type":null}', '{"type":"nonsense"}', b"\xff\xfe\xfd"):
        assert refusal(raw) is RoomError.BAD_FRAME, raw


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = '[[[[{{{{ \\"[[[[[[[[[[[[ \\\\'
    command = parse_frame(json.dumps({"type": "send", "cid": "x", "text": text}))
    assert command == c.Send("x", text)
    assert parse_frame('{"type":"ping","x":' + "[" * 7 + "]" * 7 + "}") == c.Ping()


REORDERING = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"type": "send", "cid": "x"}, "text"),
        ({"type": "private", "cid": "x", "to": "abcdefgh"}, "text"),
        ({"type": "ask", "cid": "x"}, "text"),
        ({"type": "report", "seq": 3}, "reason"),
    ],
)
def test_direction_overrides_and_isolates_are_removed_from_what_people_write(frame, field):
    """U+202E would show everything after it backwards, up to the end of the line."""
    written = "\u202ekatso\u202c ja \u2067toinen\u2069 " + REORDERING + " loppu \u200f"
    command = parse_frame(json.dumps({**frame, field: written}))
    assert getattr(command, field) == "katso ja toinen  loppu \u200f"  # marks are kept
    only_controls = json.dumps({**frame, field: " " + REORDERING + " "})
    if field == "reason":  # optional: what is left is no reason at all
        assert parse_frame(only_controls) == c.Report(3, "")
    else:
        assert refusal(only_controls) is RoomError.BAD_FRAME


# Arbitrary JSON-ish input: deep, wide, with lone surrogates, huge and non-finite numbers.
surrogates = st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff"])
any_text = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=12),
    st.builds(lambda a, s, b: a + s + b, st.text(max_size=4), surrogates, st.text(max_size=4)),
    st.sampled_from(["send", "ping", "hello", "v=0\n", "abcdefgh", "\u202e", "\u2066x\u2069"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=12,
)


@st.composite
def nested(draw, value):
    depth = draw(st.integers(0, 40))
    for _ in range(depth):
        value = [value] if draw(st.booleans()) else {draw(any_text): value}
    return value


frame_types = st.one_of(
    st.sampled_from([*sorted(f._PARSERS), "nonsense"]),
    json_values,
)
field_names = st.one_of(
    st.sampled_from(
        [
            *("v", "last_seq", "cid", "text", "to", "seq", "reason", "peer", "kind", "sdp"),
            *("candidate", "question", "action", "seconds", "raised", "publisher", "mic"),
            "pending",
        ]
    ),
    any_text,
)
frame_objects = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    frame_types,
    st.dictionaries(field_names, json_values.flatmap(nested), max_size=5),
)


def dumped(value, ensure_ascii):
    return json.dumps(value, ensure_ascii=ensure_ascii)


json_frames = st.builds(dumped, frame_objects | json_values, st.booleans())


@st.composite
def mangled(draw):
    """A frame's text cut, repeated or wrapped: almost JSON."""
    raw = draw(json_frames)
    how = draw(st.sampled_from(["cut", "prefix", "digits", "wrap", "as-is"]))
    if how == "cut":
        return raw[: draw(st.integers(0, len(raw)))]
    if how == "prefix":
        return draw(st.sampled_from(["[", "{", '{"a":', '"'])) * draw(st.integers(1, 3000)) + raw
    if how == "digits":
        digits = "9" * draw(st.integers(1, 6000))
        return raw.replace("1", digits, 1) if "1" in raw else digits
    if how == "wrap":
        return "[" * draw(st.integers(0, 20)) + raw + "]" * draw(st.integers(0, 20))
    return raw


def encoded(raw, codec):
    return raw.encode(codec, "surrogatepass")


anything = st.one_of(
    st.binary(max_size=200),
    st.text(st.characters(exclude_categories=()), max_size=200),
    json_frames,
    mangled(),
    st.builds(encoded, mangled(), st.sampled_from(["utf-8", "utf-16", "utf-32-le"])),
)


@settings(max_examples=1500, deadline=None)
@given(raw=anything)
def test_parse_frame_raises_nothing_but_frame_error(raw):
    try:
        command = parse_frame(raw)
    except FrameError as error:
        assert isinstance(error.code, RoomError)
        return
    # Whatever is accepted holds only text that can be sent on to everyone else.
    # and nothing that could reverse the text shown around what people write.
    for value in vars(command).values():
        if isinstance(value, str):
            value.encode("utf-8")
    for name in ("text", "reason"):
        assert not set(getattr(command, name, "")) & set(REORDERING)


def test_a_wish_to_talk_is_parsed_with_its_pending_flag_and_nothing_else_is_accepted():
    assert parse_frame('{"type":"need_to_talk","pending":true}') == c.NeedToTalk(True)
    assert parse_frame('{"type":"need_to_talk","pending":false}') == c.NeedToTalk(False)
    for pending in ('"true"', "1", "null", "[]"):
        assert refusal(f'{{"type":"need_to_talk","pending":{pending}}}') is RoomError.BAD_FRAME
    assert refusal('{"type":"need_to_talk"}') is RoomError.BAD_FRAME
