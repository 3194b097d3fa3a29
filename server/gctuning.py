"""Garbage-collector settings for a server that must not pause.

A full collection walks every live object; with thousands of sockets and rooms that took
0.4–0.8 s under load (measured with bench/chat_fanout.py --probe), and the event loop stood still
meanwhile. Objects alive after start-up are frozen out of collection, and the young generation
is collected less often, so full collections become rare and short. Reference counting still
frees almost everything at once; the collector is only for cycles.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
OLD_THRESHOLD = 100  # full collections ten times rarer than by default


def tune_for_latency() -> None:
    """Call once the application has started."""
    gc.collect()
    gc.freeze()
    _, middle, _ = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, OLD_THRESHOLD)
