"""Edit a watch list file in place, keeping the admin's comments and layout (ruamel.yaml).

Every edit is written to a trial file beside the watch list and loaded with the same
validation `radar` uses; only a watch list that loads replaces the old one (atomically), so
an edit can never leave the admin with a file the scheduler refuses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from domain.config import ConfigError


@dataclass(frozen=True)
class DemocracySite:
    """A council's democracy site as a watch list can use it: `kind` and `url` (the site
    root), or neither and a `reason` an admin can act on."""

    gss_code: str
    name: str
    kind: str | None = None
    url: str | None = None
    reason: str | None = None  # why there is no source: what the admin should look at

    def source(self) -> dict[str, Any]:
        """The watch-list source entry (kind, name, url)."""
        if self.kind is None or self.url is None:
            raise ValueError(f"{self.name} has no democracy source: {self.reason}")
        return {"kind": self.kind, "name": f"{self.name} meetings", "url": self.url}



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
    except ConfigError as exc:  # its message names the trial file: name the watch list
        trial.unlink(missing_ok=True)
        raise ConfigError(str(exc).replace(str(trial), str(path))) from None
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


def site_key(url: str) -> str:
    """A site's address without its scheme, host case or trailing slash: the directory
    lists Lewes's and Eastbourne's shared site once as http and once as https."""
    rest = url.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    return f"{host.lower()}/{path}".rstrip("/")


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
        data["sources"].append(one_line(source))
        return f"{source['kind']} source {source['url']} added"
    entry = _entry(data, gss_code)
    if entry is None:
        entry = CommentedMap(gss_code=gss_code)
        _councils(data).append(entry)
    if entry.get("sources") is None:
        entry["sources"] = CommentedSeq()
    entry["sources"].append(one_line(source))
    return f"{source['kind']} source {source['url']} added to {gss_code}"


def one_line(values: dict[str, Any]) -> CommentedMap:
    """A source as one flow-style line (`- {kind: feed, name: …, url: …}`), as the demo
    watch list writes them: 300 councils' sources stay readable. Values plain YAML would
    misread in a flow mapping (a `?` or `,` in a URL's query, a `#`, quotes) are quoted."""
    line = CommentedMap(
        (key, DoubleQuotedScalarString(value) if _needs_quotes(value) else value)
        for key, value in values.items()
    )
    line.fa.set_flow_style()
    return line


_PLAIN = re.compile(r"[A-Za-z0-9/.][^?,\[\]{}#\"'`]*")


def _needs_quotes(value: Any) -> bool:
    """Whether a string must be quoted to be read back as itself: by a flow mapping (a `,`
    or `?` in a URL) and by PyYAML, which reads YAML 1.1 (a feed titled "No" or "On" would
    load as a boolean, "2026" as a number), while ruamel writes YAML 1.2."""
    if not isinstance(value, str):
        return False
    if not _PLAIN.fullmatch(value) or ": " in value or value.endswith(":"):
        return True
    try:
        return yaml.safe_load(value) != value
    except yaml.YAMLError:
        return True


DEMOCRACY_KINDS = ("moderngov", "cmis")


def democracy_urls(data: CommentedMap, gss_code: str) -> list[str]:
    """The council's democracy-site sources (moderngov, cmis) as the watch list has them."""
    entry = _entry(data, gss_code)
    sources = (entry.get("sources") or []) if entry is not None else []
    return [_resolve(data, str(s.get("url"))) for s in sources if s.get("kind") in DEMOCRACY_KINDS]


def list_council(data: CommentedMap, gss_code: str, name: str, watch: bool = True) -> bool:
    """List a council (with its name as a comment, for the admin reading the file), or, if
    `watch`, watch a listed one again; True if it was not listed before."""
    entry = _entry(data, gss_code)
    if entry is None:
        entry = CommentedMap(gss_code=gss_code)
        entry.yaml_add_eol_comment(name, "gss_code")
        _councils(data).append(entry)
        return True
    if watch:
        entry.pop("watched", None)
    return False


def add_democracy_source(data: CommentedMap, gss_code: str, source: dict[str, Any]) -> str | None:
    """Add a council's democracy source from the directory unless the watch list already has
    that URL or the council already has a democracy source (an admin's choice, or the site
    moved); returns None if added, else why not, in words."""
    wanted = _resolve(data, source["url"])
    existing = democracy_urls(data, gss_code)
    if site_key(wanted) in {site_key(url) for url in existing}:
        return f"its democracy site {wanted} is already listed"
    if existing:
        return f"it already has {', '.join(existing)}, so the directory's {wanted} is not added"
    listed = {site_key(_resolve(data, str(s.get("url")))) for _, s in _sources_with_owner(data)}
    if site_key(wanted) in listed:
        return f"its democracy site {wanted} is already listed under another council (shared)"
    add_source(data, gss_code, source)
    return None


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
    return add_council_sources(path, {gss_code: sources}, validate)


def add_council_sources(
    path: Path, by_council: dict[str, list[dict[str, Any]]], validate: Callable[[Path], Any]
) -> int:
    """Add each council's sources not already listed, in one edit (`radar discover --all
    --write`: one write and one validation for hundreds of councils); returns how many
    were new."""
    added = 0

    def change(data: CommentedMap) -> str:
        nonlocal added
        for gss_code, sources in by_council.items():
            for source in sources:
                try:
                    add_source(data, gss_code, dict(source))  # origin: council, the default
                    added += 1
                except EditError:
                    pass  # already listed
        return f"{added} added"

    edit(path, change, validate)
    return added


@dataclass
class WatchAllResult:
    """What `radar watch add --all` did, for its report."""

    listed: list[str] = field(default_factory=list)  # councils new to the watch list
    added: list[DemocracySite] = field(default_factory=list)  # democracy sources added
    kept: int = 0  # councils that already had a democracy source
    # councils whose democracy site is another's (a joint site, listed once): (site, owner)
    shared: list[tuple[DemocracySite, str]] = field(default_factory=list)
    missing: list[DemocracySite] = field(default_factory=list)  # none, and the reason


def watch_all(
    data: CommentedMap, sites: list[DemocracySite], with_sources: bool = True
) -> WatchAllResult:
    """List every council given (their directory sites, from `crawlers.directory`) with its
    democracy source, keeping every entry and source already there: a council an admin has
    stopped watching stays unwatched, one with a democracy source keeps it, and a second run
    adds nothing. A site two councils share (Adur and Worthing) is listed once, under the
    first; the other's entry says so in a comment."""
    result = WatchAllResult()
    names = {site.gss_code: site.name for site in sites}
    owners = {
        site_key(_resolve(data, str(s.get("url")))): str(owner)
        for owner, s in _sources_with_owner(data)
    }
    for site in sites:
        new = list_council(data, site.gss_code, site.name, watch=False)
        if new:
            result.listed.append(site.gss_code)
        if not with_sources:
            continue
        key = site_key(_resolve(data, site.url)) if site.url else None
        if democracy_urls(data, site.gss_code):
            result.kept += 1
        elif key is None:
            result.missing.append(site)
        elif key in owners:
            owner = names.get(owners[key], owners[key])
            result.shared.append((site, owner))
            entry = _entry(data, site.gss_code)
            if entry is not None and new:  # an entry of the admin's keeps the admin's comment
                entry.yaml_add_eol_comment(
                    f"{site.name}: its meetings are on {owner}'s site ({owners[key]})", "gss_code"
                )
        else:
            add_source(data, site.gss_code, site.source())
            owners[key] = site.gss_code
            result.added.append(site)
    return result


def _sources_with_owner(data: CommentedMap) -> list[tuple[str, CommentedMap]]:
    """(owner, source) for every source: a council's GSS code, or its origin."""
    found = [
        (str(c.get("gss_code")), s)
        for c in data.get("councils") or []
        for s in c.get("sources") or []
    ]
    return found + [(str(s.get("origin", "media")), s) for s in data.get("sources") or []]


def _saved(data: CommentedMap) -> CommentedSeq:
    if data.get("saved_searches") is None:
        data["saved_searches"] = CommentedSeq()
    return data["saved_searches"]


def _same_name(entry: Any, name: str) -> bool:
    return str(entry.get("name", "")).strip().lower() == name.strip().lower()


def add_saved_search(data: CommentedMap, search: dict[str, Any]) -> str:
    """Add a saved search as one flow-style line under `saved_searches:` (`radar saved
    add`); a name already there is refused rather than replaced, so a typo cannot silently
    change another adviser's search."""
    name = str(search["name"])
    if any(_same_name(entry, name) for entry in data.get("saved_searches") or []):
        raise EditError(f"a saved search named {name!r} is already in the watch list")
    values = {key: value for key, value in search.items() if value not in (None, [], "")}
    recipients = CommentedSeq(
        DoubleQuotedScalarString(who) if _needs_quotes(who) else who for who in values["to"]
    )
    recipients.fa.set_flow_style()
    line = one_line({key: value for key, value in values.items() if key != "to"})
    line.insert(2, "to", recipients)  # name, query, to, then the filters
    _saved(data).append(line)
    return f"saved search {name!r} added"


def remove_saved_search(data: CommentedMap, name: str) -> str:
    """Take a saved search out of the watch list (`radar saved remove`); what it mailed
    stays recorded in the store, so adding it again never mails those items twice."""
    searches = data.get("saved_searches") or []
    entry = next((e for e in searches if _same_name(e, name)), None)
    if entry is None:
        raise EditError(f"no saved search named {name!r} in the watch list")
    searches.remove(entry)
    return f"saved search {entry.get('name')!r} removed"
