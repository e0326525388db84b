"""Progress bars for long work (tqdm on stderr, quiet when stderr is not a terminal and TFGAN_PROGRESS=0)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def enabled() -> bool:
    """Progress bars are on unless the environment sets TFGAN_PROGRESS=0."""
    return os.environ.get("TFGAN_PROGRESS", "1") != "0"


def progress_bar(iterable: Iterable[T] | None = None, **kwargs) -> tqdm:
    """A tqdm bar with the project's defaults (stderr, dynamic width, disabled by TFGAN_PROGRESS=0)."""
    kwargs.setdefault("dynamic_ncols", True)
    kwargs.setdefault("disable", not enabled())
    kwargs.setdefault("leave", True)
    return tqdm(iterable, **kwargs)
