"""Diagnostics for the Tupa server under ``chat_fanout.py --probe`` (never imported otherwise).

Python imports ``sitecustomize`` at start-up when its directory is on PYTHONPATH; the benchmark
puts this directory there for the Tupa server only. Without changing server code it times, from
outside: every group commit of the event writer (batch size, duration), every garbage
collection, and how late the event loop runs a timer (loop lag). Every ``PROBE_EVERY`` seconds it
writes one ``probe`` line to stderr (the server's log), which the benchmark prints.

``BENCH_PROBE_GC`` runs an experiment on the garbage collector: ``disable`` turns it off for the
whole run, ``freeze`` moves everything alive into the permanent generation at every report (so a
full collection no longer walks the long-lived heap).
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time

PROBE_EVERY = 5.0

_flushes: list[tuple[int, float]] = []  # (jobs in the batch, seconds)
_gcs: list[tuple[int, float]] = []  # (generation, seconds)
_lags: list[float] = []
_gc_started = [0.0]


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        _gcs.append((info["generation"], time.perf_counter() - _gc_started[0]))


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


GC_MODE = os.environ.get("BENCH_PROBE_GC", "")


def _report() -> None:
    if GC_MODE == "freeze":
        gc.freeze()
    flushes, _flushes[:] = _flushes[:], []
    gcs, _gcs[:] = _gcs[:], []
    lags, _lags[:] = _lags[:], []
    sizes = [n for n, _ in flushes]
    times = [t for _, t in flushes]
    gen2 = [t for g, t in gcs if g == 2]
    sys.stderr.write(
        f"probe t={time.time():.1f} flushes={len(flushes)}"
        f" jobs/flush mean={sum(sizes) / max(len(sizes), 1):.1f} max={max(sizes, default=0)}"
        f" flush ms p50={_pct(times, 0.5) * 1e3:.1f} p99={_pct(times, 0.99) * 1e3:.1f}"
        f" max={max(times, default=0) * 1e3:.1f} busy={sum(times) / PROBE_EVERY:.0%}"
        f" | gc n={len(gcs)} total={sum(t for _, t in gcs) * 1e3:.0f}ms"
        f" max={max((t for _, t in gcs), default=0) * 1e3:.1f}ms gen2={len(gen2)}"
        f" | loop lag ms p50={_pct(lags, 0.5) * 1e3:.1f} p99={_pct(lags, 0.99) * 1e3:.1f}"
        f" max={max(lags, default=0) * 1e3:.1f} | frozen={gc.get_freeze_count()}\n"
    )
    sys.stderr.flush()


def _install() -> None:
    try:
        from server.rooms import writer
    except Exception as exc:  # the probe must never stop the server
        sys.stderr.write(f"probe: cannot wrap the event writer: {exc!r}\n")
        return
    original = getattr(writer.EventWriter, "_flush", None)
    if original is None:
        sys.stderr.write("probe: EventWriter._flush is gone; not timing commits\n")
    else:

        async def timed_flush(self: object, batch: list[object], *args: object) -> object:
            began = time.perf_counter()
            try:
                return await original(self, batch, *args)
            finally:
                _flushes.append((len(batch), time.perf_counter() - began))

        writer.EventWriter._flush = timed_flush  # type: ignore[method-assign]

    original_start = writer.EventWriter.start

    def start(self: object) -> None:  # the writer starts inside the server's event loop
        original_start(self)  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()

        async def watch() -> None:
            tick = 0.05
            last_report = time.monotonic()
            while True:
                due = loop.time() + tick
                await asyncio.sleep(tick)
                _lags.append(max(0.0, loop.time() - due))
                if time.monotonic() - last_report >= PROBE_EVERY:
                    last_report = time.monotonic()
                    _report()

        task = loop.create_task(watch(), name="bench-probe")
        _tasks.add(task)

    writer.EventWriter.start = start  # type: ignore[method-assign]
    gc.callbacks.append(_on_gc)
    if GC_MODE == "disable":
        gc.disable()
    sys.stderr.write(f"probe: installed (writer commits, gc, loop lag); gc mode {GC_MODE!r}\n")


_tasks: set[asyncio.Task[None]] = set()
_install()
