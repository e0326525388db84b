"""Shared command-line plumbing: one-line errors and exit codes for the absl entry points."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from absl import app

from tfgan_apps.errors import ConfigError, DataError, TrainingError


def run_main(main: Callable[[list[str]], None], program: str) -> None:
    """Runs an absl ``main``; known errors print ``program: error: ...`` and exit with status 2."""

    started = []

    def guarded(argv: list[str]) -> None:
        started.append(True)
        try:
            main(argv)
        except (ConfigError, DataError, TrainingError) as err:
            sys.stderr.write(f"{program}: error: {err}\n")
            sys.exit(2)

    for arg in sys.argv[1:]:
        if arg.startswith("--config=") and not os.path.isfile(arg.split("=", 1)[1].split(":")[0]):
            sys.stderr.write(f"{program}: error: config file {arg.split('=', 1)[1]!r} not found; "
                             "pass one of the files in configs/, e.g. --config=configs/dcgan_digits.py\n")
            sys.exit(2)
    try:
        app.run(guarded)
    except SystemExit:
        raise
    except (KeyError, AttributeError, TypeError, ValueError) as err:
        if started:  # a failure inside main is a bug or a TF error: keep its traceback
            raise
        text = " ".join(str(err.args[0] if err.args else err).split())[:500]  # a bad --config.* override
        sys.stderr.write(f"{program}: error: bad config override: {text}\n")
        sys.exit(2)
