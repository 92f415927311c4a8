"""Edit a watch list file in place, keeping the admin's comments and layout (ruamel.yaml).

Every edit is written to a trial file beside the watch list and loaded with the same
validation `radar` uses; only a watch list that loads replaces the old one (atomically), so
an edit can never leave the admin with a file the scheduler refuses.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq


class EditError(Exception):
    """The edit asked for does not apply to this watch list (nothing was written)."""


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap an admin's long lines
    return yaml


def edit(path: Path, change: Callable[[CommentedMap], str], validate: Callable[[Path], Any]) -> str:
    """Apply `change` to the watch list's data and write it if it still validates; returns
    what `change` says it did."""
    yaml = _yaml()
    data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if data is None:
        data = CommentedMap()
    message = change(data)
    trial = path.with_name(f".{path.name}.new")
    with trial.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    try:
        validate(trial)  # a watch list that would not load is never written over the old one
    except Exception:
        trial.unlink(missing_ok=True)
        raise
    os.replace(trial, path)
    return message


def _councils(data: CommentedMap) -> CommentedSeq:
    if data.get("councils") is None:
        data["councils"] = CommentedSeq()
    return data["councils"]


def _entry(data: CommentedMap, gss_code: str) -> CommentedMap | None:
    return next((c for c in data.get("councils") or [] if c.get("gss_code") == gss_code), None)


def set_watched(data: CommentedMap, gss_code: str, watched: bool) -> str:
    """Watch a council (listing it if it is not yet in the file) or stop watching it."""
    entry = _entry(data, gss_code)
    if entry is None:
        if not watched:
            raise EditError(f"{gss_code} is not in the watch list, so it is not watched")
        _councils(data).append(CommentedMap(gss_code=gss_code))
        return f"{gss_code} added to the watch list and watched"
    if watched:
        entry.pop("watched", None)  # listed councils are watched unless they say otherwise
    else:
        entry["watched"] = False
    return f"{gss_code} {'watched' if watched else 'no longer watched (its entry is kept)'}"


def remove_council(data: CommentedMap, gss_code: str) -> str:
    entry = _entry(data, gss_code)
    if entry is None:
        raise EditError(f"{gss_code} is not in the watch list")
    data["councils"].remove(entry)
    sources = len(entry.get("sources") or [])
    return f"{gss_code} removed from the watch list, with its {sources} sources"


def _resolve(data: CommentedMap, url: str) -> str:
    """A source URL as the watch list means it (relative ones are under base_url)."""
    base = data.get("base_url")
    if "://" in url or not base:
        return url
    return urljoin(str(base).rstrip("/") + "/", url.lstrip("/"))


def _find_source(data: CommentedMap, url: str) -> tuple[CommentedSeq, CommentedMap]:
    """The list holding the source with this URL, and the source; or EditError."""
    lists = [c.get("sources") or [] for c in data.get("councils") or []]
    lists.append(data.get("sources") or [])
    wanted = _resolve(data, url)
    for sources in lists:
        for source in sources:
            if _resolve(data, str(source.get("url", ""))) == wanted:
                return sources, source
    raise EditError(f"no source with URL {url} in the watch list")


def add_source(data: CommentedMap, gss_code: str | None, source: dict[str, Any]) -> str:
    """Add a source to a council (listing the council if needed) or, without a council, to
    the watch list's own sources (media, alert services, government)."""
    try:
        _find_source(data, source["url"])
    except EditError:
        pass
    else:
        raise EditError(f"{source['url']} is already in the watch list")
    if gss_code is None:
        if data.get("sources") is None:
            data["sources"] = CommentedSeq()
        data["sources"].append(CommentedMap(source))
        return f"{source['kind']} source {source['url']} added"
    entry = _entry(data, gss_code)
    if entry is None:
        entry = CommentedMap(gss_code=gss_code)
        _councils(data).append(entry)
    if entry.get("sources") is None:
        entry["sources"] = CommentedSeq()
    entry["sources"].append(CommentedMap(source))
    return f"{source['kind']} source {source['url']} added to {gss_code}"


def remove_source(data: CommentedMap, url: str) -> str:
    sources, source = _find_source(data, url)
    sources.remove(source)
    return f"source {url} removed"


def set_source_enabled(data: CommentedMap, url: str, enabled: bool) -> str:
    _, source = _find_source(data, url)
    if enabled:
        source.pop("enabled", None)  # enabled is the default
    else:
        source["enabled"] = False
    return f"source {url} {'enabled' if enabled else 'disabled'}"


def add_sources(
    path: Path, gss_code: str, sources: list[dict[str, Any]], validate: Callable[[Path], Any]
) -> int:
    """Add the sources not already listed to a council's entry (`radar discover --write`);
    returns how many were new."""
    added = 0

    def change(data: CommentedMap) -> str:
        nonlocal added
        for source in sources:
            try:
                add_source(data, gss_code, {**source, "origin": "council"})
                added += 1
            except EditError:
                pass  # already listed
        return f"{added} added"

    edit(path, change, validate)
    return added
