"""One place that maps the names used in configs to classes and functions.

Modules register themselves with a decorator::

    @registry.MODELS.register("gan")
    class GAN(keras.Model): ...

``Registry.get`` imports every module of the packages that hold registered
objects (``tfgan_apps.models``, ``nets``, ``data``, ``metrics`` and the top-level
``losses``/``penalties``) before looking a name up, so adding a file is enough
to add a name: no central list to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from tfgan_apps.errors import ConfigError

T = TypeVar("T")

_PACKAGES = (
    "tfgan_apps.losses",
    "tfgan_apps.penalties",
    "tfgan_apps.nets",
    "tfgan_apps.models",
    "tfgan_apps.data",
    "tfgan_apps.metrics",
    "tfgan_apps.restoration",
)
_loaded = False


def load_all() -> None:
    """Imports every module that may register names (idempotent)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for package_name in _PACKAGES:
        package = importlib.import_module(package_name)
        path = getattr(package, "__path__", None)
        if path is None:
            continue
        for info in pkgutil.walk_packages(path, prefix=package_name + "."):
            importlib.import_module(info.name)


class Registry:
    """A name → object table with a clear error for unknown names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, Any] = {}

    def register(self, name: str | None = None) -> Callable[[T], T]:
        """Decorator that registers a class or function under ``name`` (default: its ``__name__``)."""

        def decorator(obj: T) -> T:
            key = name or obj.__name__  # type: ignore[attr-defined]
            if key in self._items and self._items[key] is not obj:
                raise KeyError(f"{self.kind} {key!r} is registered twice")
            self._items[key] = obj
            return obj

        return decorator

    def get(self, name: str) -> Any:
        """Returns the object registered as ``name`` or raises ConfigError naming the valid choices."""
        load_all()
        if name not in self._items:
            raise ConfigError(
                f"unknown {self.kind} {name!r}; valid choices: {', '.join(self.names())}"
            )
        return self._items[name]

    def names(self) -> list[str]:
        """Sorted registered names."""
        load_all()
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        load_all()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


MODELS = Registry("model")
GENERATORS = Registry("generator network")
DISCRIMINATORS = Registry("discriminator network")
ENCODERS = Registry("encoder network")
LOSSES = Registry("adversarial loss")
PENALTIES = Registry("penalty")
SOURCES = Registry("data source")
DEGRADATIONS = Registry("degradation")
METRICS = Registry("metric")
STABILIZERS = Registry("stabilizer")
