"""What a room tells its people when its relay died (no sockets): publishers publish again,
and when only a stage's second relay died, only the viewers it served subscribe again."""

from server.rooms import media_commands
from server.rooms.apply import apply
from server.scheduling.series import MediaMode
from tests.domain.test_room_protocol import a_room


def test_a_publisher_of_a_moved_room_is_told_to_publish_again_and_everyone_to_drop_it():
    room, fac, _vol, _a, _b = a_room(MediaMode.STAGE)
    assert media_commands.relay_moved(fac) == []  # not publishing there: nothing to say
    for event in media_commands.relay_published(fac):
        apply(room.state, event)
    (moved,) = media_commands.relay_moved(fac)
    assert moved.type == "av" and moved.audience.everyone
    assert moved.data["peer"] == fac.peer and moved.data["relay"] == 0 and moved.data["moved"]
    apply(room.state, moved)
    assert fac.av.relay == 0
    assert moved.wire()["moved"] is True


def test_only_the_viewers_of_a_dead_second_relay_are_told_to_subscribe_again():
    room, fac, _vol, a, _b = a_room(MediaMode.STAGE)
    for event in media_commands.relay_published(fac):
        apply(room.state, event)
    assert media_commands.relay_resubscribe(fac, frozenset()) == []
    gone, back = media_commands.relay_resubscribe(fac, frozenset({a.peer}))
    for event in (gone, back):
        assert event.type == "av" and event.audience.peers == {a.peer}
        assert not event.audience.everyone
    assert gone.data["relay"] == 0 and back.data["relay"] == 1
    for event in (gone, back):
        apply(room.state, event)
    assert fac.av.relay == 1  # the publication itself goes on
