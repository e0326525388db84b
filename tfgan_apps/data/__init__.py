"""Data sources and the shared input pipeline."""

from tfgan_apps.data.pipeline import load_source, make_dataset, parse_source
from tfgan_apps.data.source import ArraySource, Source

__all__ = ["ArraySource", "Source", "load_source", "make_dataset", "parse_source"]
