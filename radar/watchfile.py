"""Edit a watch list file in place, keeping the admin's comments and layout (ruamel.yaml)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML


def add_sources(
    path: Path, gss_code: str, sources: list[dict[str, Any]], validate: Callable[[Path], Any]
) -> int:
    """Add sources to a council's entry (creating the entry); returns how many were new."""
    yaml = YAML()
    yaml.preserve_quotes = True
    data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if data is None:
        data = {}
    councils = data.setdefault("councils", [])
    entry = next((c for c in councils if c.get("gss_code") == gss_code), None)
    if entry is None:
        entry = {"gss_code": gss_code, "sources": []}
        councils.append(entry)
    have = {s.get("url") for s in entry.setdefault("sources", [])}
    added = [s for s in sources if s["url"] not in have]
    entry["sources"].extend({**s, "origin": "council"} for s in added)
    trial = path.with_name(f".{path.name}.new")
    with trial.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    try:
        validate(trial)  # a watch list that would not load is never written over the old one
    except Exception:
        trial.unlink(missing_ok=True)
        raise
    os.replace(trial, path)
    return len(added)
