"""What both benchmarks need from the machine they run on: CPU readings from ``/proc``, waiting
for other work to stop, children that die with the program, pinning to cores, free ports, event
loops.

The benchmarks are scripts (``python bench/chat_fanout.py``), and their child processes run the
same script again, so Python finds this module beside them: ``import machine``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int, thread: int | None = None) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` (or one of its threads);
    0 if it is gone."""
    path = f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat"
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


def busy_elsewhere(seconds: float = 1.0) -> float:
    """How much of a core the machine spends on other work while we are idle."""
    a = system_cpu()
    time.sleep(seconds)
    b = system_cpu()
    return (b[0] - a[0]) / max(b[1] - a[1], 1) * (os.cpu_count() or 1)


def wait_for_quiet(
    limit: float, out: Callable[[str], None], before: str, threshold: float = 0.2
) -> None:
    """Other programs (a test run, a build) on a two-core machine spoil the numbers: wait up to
    ``limit`` seconds for the machine to be idle, and say how busy it was ``before`` what."""
    deadline = time.monotonic() + limit
    busy = busy_elsewhere()
    while busy > threshold and time.monotonic() < deadline:
        busy = busy_elsewhere(2.0)
    note = "" if busy <= threshold else " - NOT idle; numbers may be disturbed"
    out(f"  other work on the machine before {before}: {busy:.0%} of a core{note}")


def die_with_parent() -> None:
    """Run in the child before exec: it is killed when this program dies, however it dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG


def parse_cpus(text: str) -> set[int]:
    """A CPU list as ``taskset -c`` takes it (``1``, ``0,2``, ``2-3``); checked against the CPUs
    this process may use."""
    cpus: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    allowed = os.sched_getaffinity(0)
    if not cpus or not cpus <= allowed:
        raise ValueError(f"CPUs {text!r}: this process may use {sorted(allowed)}")
    return cpus


def pin(cpus: set[int] | None) -> None:
    """Keep this process (and the children it starts after) on ``cpus``, as ``taskset`` does;
    None leaves it where it is."""
    if cpus:
        os.sched_setaffinity(0, cpus)


def child_setup(cpus: set[int] | None) -> Callable[[], None]:
    """What a child runs before exec: die with this program, and stay on ``cpus`` if given."""

    def setup() -> None:
        die_with_parent()
        pin(cpus)

    return setup


def cpus_text(cpus: set[int] | None) -> str:
    return "any core" if not cpus else "core " + ",".join(map(str, sorted(cpus)))


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def tail(log: Path, lines: int) -> str:
    """The last lines of a child's log, or "" if there is none."""
    with contextlib.suppress(OSError):
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    return ""


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """``"uvloop"``'s loop, or None for asyncio's own."""
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return None


def run(coro: Any, loop: str) -> Any:
    """Run ``coro`` to completion on a new event loop of the kind named."""
    with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
        return runner.run(coro)
