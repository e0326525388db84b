"""``--set FIELD=VALUE`` config overrides shared by the benchmarks (mode_coverage, restoration, variants)."""

from __future__ import annotations

import argparse
import ast
from collections.abc import Mapping, Sequence
from typing import Any

import ml_collections


def parse_item(text: str) -> tuple[str, str]:
    """``FIELD=VALUE`` as (field, raw value text); an argparse ``type`` for ``--set``."""
    field, sep, value = text.partition("=")
    if not sep or not field:
        raise argparse.ArgumentTypeError(f"--set needs FIELD=VALUE, got {text!r}")
    return field.removeprefix("config."), value


def parse_value(text: str, current: Any) -> Any:
    """``text`` converted to the type of the value it replaces (a Python literal, else a string, if untyped)."""
    if isinstance(current, bool):
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"expected a boolean, got {text!r}")
        return text.lower() in ("true", "1")
    if isinstance(current, int):
        return int(text)
    if isinstance(current, float):
        return float(text)
    if isinstance(current, str):
        return text
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _node(config: ml_collections.ConfigDict, dotted: str) -> tuple[Any, str]:
    """The ConfigDict holding ``dotted``'s leaf (None when a parent is missing) and the leaf's name."""
    *parents, leaf = dotted.split(".")
    node: Any = config
    for part in parents:
        node = node.get(part) if isinstance(node, ml_collections.ConfigDict) else None
    return node, leaf


def set_fields(config: ml_collections.ConfigDict, values: Mapping[str, Any]) -> None:
    """Sets dotted fields (``"model.penalties.r1"``) to already-typed values; every field must exist."""
    for dotted, value in values.items():
        node, leaf = _node(config, dotted)
        if not isinstance(node, ml_collections.ConfigDict) or leaf not in node:
            raise KeyError(f"config has no field {dotted!r}")
        node[leaf] = value


def apply_items(config: ml_collections.ConfigDict, items: Sequence[tuple[str, str]],
                skip_missing: bool = False) -> None:
    """Applies parsed ``--set`` items, each value typed like the field it replaces.

    A field the config does not have is a KeyError, or skipped with ``skip_missing``
    (benchmarks/variants.py sets a field in every recipe that has it).
    """
    for dotted, text in items:
        node, leaf = _node(config, dotted)
        if not isinstance(node, ml_collections.ConfigDict) or leaf not in node:
            if skip_missing:
                continue
            raise KeyError(f"config has no field {dotted!r}")
        node[leaf] = parse_value(text, node[leaf])
