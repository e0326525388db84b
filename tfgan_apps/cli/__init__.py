"""The command-line tools, one module per command, and their shared plumbing.

    tfgan-train     tfgan_apps/cli/train.py      train a recipe into a run directory
    tfgan-eval      tfgan_apps/cli/eval.py       score a run with GAN metrics
    tfgan-generate  tfgan_apps/cli/generate.py   grids, interpolations, class / code sweeps, numbered PNGs
    tfgan-export    tfgan_apps/cli/export.py     re-export a run's SavedModels
    tfgan-restore   tfgan_apps/cli/restore.py    denoise / de-rain / super-resolve images of any size
    tfgan-launch-local  tfgan_apps/cli/launch.py local multi-worker training

Each command is a thin absl ``main`` run by ``run_main``, which gives every command the same behaviour:
``--help`` lists the command's own flags; ``--config`` takes a shipped recipe's name or a path; and every
bad input (a ConfigError / DataError / TrainingError, a misspelled ``--config.*`` override, a value of the
wrong type, an unknown flag) is one line ``PROGRAM: error: ...`` on stderr with exit status 2.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable
from typing import Any

from absl import app, flags

from tfgan_apps.configs import load, recipe_names, recipe_path
from tfgan_apps.errors import ConfigError, DataError, TrainingError

HELP_FLAGS = ("--help", "-h", "-help", "--helpshort", "-?")


def resolve_recipe(value: str) -> str:
    """The config file that ``--config=value`` names: an existing path, a shipped recipe's name
    (``dcgan_digits``), or a path such as ``configs/dcgan_digits.py`` that does not exist here, which falls
    back to the shipped recipe of that file name. A ``:argument`` suffix (ml_collections) is kept."""
    path, sep, arg = value.partition(":")
    if os.path.isfile(path):
        return value
    name = os.path.basename(path)
    name = name[:-3] if name.endswith(".py") else name
    if name in recipe_names():
        return recipe_path(name) + sep + arg
    what = f"config file {path!r} not found" if path.endswith(".py") or os.sep in path else f"unknown recipe {path!r}"
    raise ConfigError(f"{what}; pass a recipe name ({', '.join(recipe_names())}) or a path to a config file")


def resolve_config_argv(argv: list[str]) -> list[str]:
    """``argv`` with every ``--config=VALUE`` / ``--config VALUE`` resolved by ``resolve_recipe``."""
    out = list(argv[:1])
    args = iter(argv[1:])
    for arg in args:
        if arg.startswith("--config="):
            arg = "--config=" + resolve_recipe(arg.split("=", 1)[1])
        elif arg == "--config":
            out.append(arg)
            arg = next(args, None)
            if arg is None:
                break
            arg = resolve_recipe(arg)
        out.append(arg)
    return out


def _load_recipe(value: str) -> Any:
    """``get_config()`` of a resolved ``--config`` value (a file, with an optional ``:argument``)."""
    import importlib.util

    path, _, arg = value.partition(":")
    if not arg:
        return load(path)
    spec = importlib.util.spec_from_file_location(f"_recipe_{os.path.basename(path)[:-3]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config(arg) if arg else module.get_config()


def check_overrides(argv: list[str]) -> None:
    """ConfigError for a ``--config.a.b=...`` override naming a field the recipe does not have, with the
    closest existing field (``unknown config field train.stpes; did you mean train.steps?``)."""
    import ml_collections

    value = next((a.split("=", 1)[1] for a in argv if a.startswith("--config=")), None)
    overrides = [a.split("=", 1)[0][len(prefix):] for a in argv
                 for prefix in ("--config.", "--noconfig.") if a.startswith(prefix)]
    if value is None or not overrides:
        return
    config = _load_recipe(value)
    for dotted in overrides:
        node: Any = config
        parts = dotted.split(".")
        for depth, part in enumerate(parts):
            if "[" in part or not isinstance(node, ml_collections.ConfigDict):
                break  # indexing into tuples, or below a leaf: left to ml_collections
            if part not in node:
                parent = ".".join(parts[:depth])
                close = difflib.get_close_matches(part, list(node.keys()), n=1)
                hint = f"; did you mean {'.'.join([*parts[:depth], close[0], *parts[depth + 1:]])}?" if close else (
                    f"; fields of {parent or 'the config'}: {', '.join(sorted(node.keys()))}")
                raise ConfigError(f"unknown config field {dotted}{hint}")
            node = node[part]


def one_line(text: str) -> str:
    """``text`` on one line (newlines and runs of spaces collapsed), at most 2000 characters."""
    return " ".join(str(text).split())[:2000]


def _fail(program: str, message: str) -> None:
    sys.stderr.write(f"{program}: error: {one_line(message)}\n")
    sys.exit(2)


def module_key(main: Callable[..., Any]) -> str:
    """The name absl files ``main``'s module's flags under (the script path when run as ``__main__``)."""
    if main.__module__ == "__main__":
        return getattr(sys.modules["__main__"], "__file__", None) or sys.argv[0]
    return main.__module__


def help_text(main: Callable[..., Any], program: str) -> str:
    """The module docstring of ``main``'s command, then its own flags with their help and defaults."""
    doc = (sys.modules[main.__module__].__doc__ or "").strip().replace("``", "")
    own = flags.FLAGS.module_help(module_key(main)).strip("\n").split("\n", 1)[-1]  # without the module name
    overrides = "Any recipe field can be overridden: --config.train.steps=200. " if "--config:" in own else ""
    return (f"{doc}\n\nflags of {program}:\n{own}\n\n{overrides}"
            "Try --helpfull for every flag (TensorFlow's and absl's too).\n")


def run_main(main: Callable[[list[str]], None], program: str) -> None:
    """Runs an absl ``main`` with the shared behaviour (see the module docstring)."""
    if any(arg in HELP_FLAGS for arg in sys.argv[1:]):
        sys.stdout.write(help_text(main, program))
        sys.exit(0)
    try:
        sys.argv = resolve_config_argv(sys.argv)
        if "config" in flags.FLAGS:
            check_overrides(sys.argv)
    except ConfigError as err:
        _fail(program, str(err))

    def parse(argv: list[str]) -> list[str]:
        try:
            return flags.FLAGS(argv)
        except flags.Error as err:
            _fail(program, str(err))
        except (KeyError, AttributeError, TypeError, ValueError) as err:  # a bad --config.* override
            cause = err.args[0] if err.args else err
            _fail(program, f"bad config override: {cause.args[0] if isinstance(cause, Exception) else cause}")
        return []

    def guarded(argv: list[str]) -> None:
        try:
            main(argv)
        except (ConfigError, DataError, TrainingError) as err:
            _fail(program, str(err))

    app.run(guarded, flags_parser=parse)
