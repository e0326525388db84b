"""Where and when a benchmark ran: the lines every results file starts with.

Shared by the benchmarks in this folder (``from provenance import machine, ...``): the CPU
model and core count, software versions, the UTC time and the load average, so a
table says whether the machine was idle or shared while it was measured.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import time
from collections.abc import Callable
from typing import Any


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (platform's guess elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine() -> str:
    """CPU model, core count and the versions that matter for speed (TensorFlow, Keras)."""
    import keras
    import tensorflow as tf

    return (f"{cpu_model()}, {os.cpu_count()} cores, no GPU; Python {platform.python_version()}, "
            f"TensorFlow {tf.__version__}, Keras {keras.__version__}")


def utc_now() -> str:
    """The current time in UTC, as ``date -u`` prints it."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%a %b %d %H:%M:%S UTC %Y")


def load_average() -> str:
    """The 1/5/15-minute load averages ("unknown" where the OS has none)."""
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


def load_note(start: str, end: str) -> str:
    """How busy the machine was: the load average at the start and the end of a run."""
    return (f"load average (1, 5, 15 min) {start} at the start, {end} at the end "
            f"({os.cpu_count()} cores: a load near the core count means the machine was otherwise idle)")


def read_store(results: str) -> tuple[str, dict]:
    """(path, contents) of the JSON store beside a results markdown file (``x.md`` → ``x.json``; {} when absent):
    where benchmarks accumulate their rows over runs."""
    store = os.path.splitext(results)[0] + ".json"
    if not os.path.exists(store):
        return store, {}
    with open(store) as f:
        return store, json.load(f)


def timed(fn: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    """(``fn()``, its wall seconds ``train_seconds``, user + system ``cpu_seconds`` of this process and the load
    average at its end ``load_end``): how the benchmarks time a training."""
    start, cpu = time.perf_counter(), os.times()
    result = fn()
    after = os.times()
    return result, {"train_seconds": time.perf_counter() - start,
                    "cpu_seconds": (after.user + after.system) - (cpu.user + cpu.system), "load_end": load_average()}
