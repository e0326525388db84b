"""Network builders, looked up by name in ``registry.GENERATORS`` / ``DISCRIMINATORS`` / ``ENCODERS``."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import keras

from tfgan_apps.errors import ConfigError
from tfgan_apps.registry import Registry


def build_network(registry: Registry, spec: Mapping[str, Any], **context: Any) -> keras.Model:
    """Builds a network from a spec such as ``{"type": "dcgan", "width": 64}``.

    The spec is copied, never mutated. ``context`` carries what the model knows
    (shapes, latent size, ``sync_batchnorm``); a context value is passed only if
    the builder accepts it, while an option in the spec that the builder does not
    accept is a ConfigError naming the accepted options.
    """
    options = dict(spec)
    name = options.pop("type", None)
    if not name:
        raise ConfigError(f"{registry.kind} spec needs a 'type', e.g. {{'type': 'dcgan'}}; got {dict(spec)}")
    builder = registry.get(name)
    params = inspect.signature(builder).parameters
    unknown = sorted(set(options) - set(params))
    if unknown:
        raise ConfigError(
            f"{registry.kind} {name!r} has no option(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(p for p in params if p not in context)}"
        )
    kwargs = {k: v for k, v in context.items() if k in params}
    kwargs.update(options)
    return builder(**kwargs)
