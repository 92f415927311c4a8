"""Council Radar: the `radar` CLI and its configuration (the watch list)."""

__version__ = "0.1.0"
