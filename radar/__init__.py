"""Council Radar's `radar` command line: it imports every layer, and nothing imports it."""

from domain import __version__

__all__ = ["__version__"]
