"""Live rooms: one scheduled session as a moderated group chat.

``frames`` parses what clients send, ``state`` and ``protocol`` decide what happens (pure, no I/O),
``store``, ``writer`` and ``sqlite_log`` persist, ``bus`` fans events out to every instance and
``hub`` delivers them to the sockets of this instance.
"""
