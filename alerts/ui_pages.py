"""`radar ui`'s pages for people: a home page that leads to what matters, readable cells, and
searches of the item browser ordered by relevance.

Datasette's defaults suit a database, not an adviser: its home page lists tables
(`story_bands` first), cells show JSON arrays as `["Kelderby"]` and URLs as text, and a
search of a table is ordered by the table's sort (for items, the date) because Datasette
0.65 has no relevance sort. This module is a Datasette plugin (`radar ui` registers it with
the guards and the feedback page):

- `extra_template_vars` gives the home page (alerts/templates_ui/index.html) this week's
  radar, the councils' names and aliases (the timeline box offers them), the number of
  failing sources and the paths of the region and England views (alerts.ui_regions).
  The generic database page stays at /DATABASE.
- `render_cell` links titles and headlines to their pages and council names to their
  page (`/council/<gss>`, alerts.ui_council; by name where the row has no code), shows
  JSON lists as chips, evidence as a list and the search snippet with the words found
  marked. Only the HTML changes: JSON and CSV keep the columns as stored, so the `array`
  facets and exports still work.
- `filters_from_request` makes a search of `item_browser` a MATCH on the view's own `fts`
  column (store.ui.ITEMS_VIEW), so SQLite computes its `relevance` (bm25) and snippet; and
  `asgi_wrapper` orders such a search by relevance unless the URL asks for another sort.

No SQL here: the queries are store.ui's, run through Datasette so its limits and the
concerns guard (alerts.ui_guard) apply to them as to any page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from datasette import hookimpl
from datasette.filters import FilterArguments
from markupsafe import Markup, escape

from alerts.deliver import region_slug
from alerts.digest import FACTOR_NAMES
from domain.config import REGIONS
from store.ui import COUNCIL_NAMES, FAILING_SOURCES, HOME_RADAR

TEMPLATES = Path(__file__).parent / "templates_ui"  # Datasette's template_dir: index.html
PLUGIN = "council-radar"  # the plugin configuration `radar ui` writes: store and database
BROWSER = "item_browser"
# The item browser's HTML, JSON and CSV: where a search is ordered by relevance.
BROWSER_PATH = re.compile(rf"^/[^/]+/{BROWSER}(\.json|\.csv)?$")
CHIP = (
    "display:inline-block;margin:1px 2px;padding:0 .45em;border-radius:.8em;"
    "background:{bg};color:#1d3557;white-space:nowrap;font-size:.9em"
)
FACTOR_COLOURS = {
    "leadership": "#fde2e4",
    "risky_change": "#fff1c1",
    "disengagement": "#e2ece9",
    "finance": "#dbe7f7",
}


def _database(datasette: Any) -> str:
    return (datasette.plugin_config(PLUGIN) or {}).get("database", "")


@hookimpl
def extra_template_vars(template: str, datasette: Any) -> Any:
    """The home page's figures, read when it is shown (the radar `radar ui` refreshed at
    start, the councils, the failing sources); nothing for any other page."""
    if template != "index.html":
        return None

    async def home() -> dict[str, Any]:
        name = _database(datasette)
        if name not in datasette.databases:
            return {"radar_home": None}
        db = datasette.get_database(name)
        radar = [dict(row) for row in (await db.execute(HOME_RADAR)).rows]
        names: set[str] = set()
        for row in (await db.execute(COUNCIL_NAMES)).rows:
            names.add(row["name"])
            names.update(a for a in _json_list(row["aliases"]) if isinstance(a, str))
        failing = (await db.execute(FAILING_SOURCES)).first()
        return {
            "radar_home": {
                "database": name,
                "radar": radar,
                "council_names": sorted(names, key=str.lower),
                "failing_sources": failing["n"] if failing else 0,
                "factors": FACTOR_NAMES,
                # the region and England views (alerts.ui_regions): name -> path
                "regions": {r: datasette.urls.path(f"/region/{region_slug(r)}") for r in REGIONS},
                "england": datasette.urls.path("/england"),
            }
        }

    return home


@hookimpl
def filters_from_request(request: Any, table: str) -> FilterArguments | None:
    """A search of the item browser as a MATCH on the view's `fts` column too: Datasette's
    own clause (`rowid in (select rowid from items_fts ...)`) finds the same items but
    leaves bm25 and snippet() with no search to score."""
    search = request.args.get("_search")
    if table != BROWSER or not search:
        return None
    clause = ":radar_search"
    if request.args.get("_searchmode") == "escaped":
        clause = "escape_fts(:radar_search)"
    return FilterArguments([f"fts match {clause}"], {"radar_search": search})


def by_relevance(query_string: bytes) -> bytes:
    """The query string of an item-browser request: relevance order when it searches and
    names no sort of its own (the table's default sort is the date), and no facet
    suggestions. Datasette suggests facets by grouping every column, and SQLite cannot run
    the view's snippet() and bm25() in a grouped query; the view's facets are configured."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    keys = {key for key, _ in pairs}
    searching = any(key == "_search" and value.strip() for key, value in pairs)
    if searching and not keys & {"_sort", "_sort_desc"}:
        pairs.append(("_sort_desc", "relevance"))
    if "_nosuggest" not in keys:
        pairs.append(("_nosuggest", "1"))
    return urlencode(pairs).encode("latin-1")


@hookimpl
def asgi_wrapper() -> Any:
    def wrap(app: Any) -> Any:
        async def ordered(scope: dict, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and BROWSER_PATH.match(scope.get("path", "")):
                query = by_relevance(scope.get("query_string", b""))
                scope = {**scope, "query_string": query}
            await app(scope, receive, send)

        return ordered

    return wrap


def _json_list(value: Any) -> list[Any]:
    if not isinstance(value, str) or not value.startswith("["):
        return []
    try:
        found = json.loads(value)
    except ValueError:
        return []
    return found if isinstance(found, list) else []


def _field(row: Any, key: str) -> Any:
    try:
        return row[key]
    except (KeyError, IndexError):
        return None


def _link(text: Any, url: Any) -> Markup | None:
    """`text` linked to `url`, if the URL is a web page's (never javascript: and the like)."""
    if not text or not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    return Markup('<a href="{}">{}</a>').format(url, text)


def _council_page(datasette: Any, council: str) -> str:
    """A council's page from its GSS code or its name (the page redirects a name to the
    code): the item browser's chips and the canned queries give names."""
    return datasette.urls.path(f"/council/{quote(council, safe='')}")


def _chips(datasette: Any, column: str, values: list[Any]) -> Markup:
    chips = []
    for value in values:
        if value is None:
            continue
        text = str(value)
        if column == "factors":
            style = CHIP.format(bg=FACTOR_COLOURS.get(text, "#eee"))
            label = FACTOR_NAMES.get(text, text)
            chips.append(Markup('<span class="chip" title="{}" style="{}">{}</span>').format(
                text, style, label))  # fmt: skip
        elif column == "councils":
            chips.append(Markup('<a class="chip" href="{}" style="{}">{}</a>').format(
                _council_page(datasette, text), CHIP.format(bg="#e8eef6"), text))  # fmt: skip
        else:
            chips.append(Markup('<span class="chip" style="{}">{}</span>').format(
                CHIP.format(bg="#eee"), text))  # fmt: skip
    return Markup(" ").join(chips) if chips else Markup("<span>–</span>")


def _marked(text: str) -> Markup:
    """A snippet with the words found in <mark>: everything escaped, then only the
    snippet's own markers turned back into tags."""
    escaped = str(escape(text))
    return Markup(escaped.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>"))


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, datasette: Any) -> Any:
    """How a cell reads in the HTML pages (the item browser and the canned queries)."""
    if column == "title":
        return _link(value, _field(row, "url"))
    if column == "top_headline":
        return _link(value, _field(row, "top_url"))
    if column == "council" and isinstance(value, str) and value:
        code = _field(row, "gss_code")
        page = _council_page(datasette, code if isinstance(code, str) and code else value)
        return Markup('<a href="{}">{}</a>').format(page, value)
    if table != BROWSER:
        return None
    if column in ("councils", "regions", "factors") and isinstance(value, str):
        return _chips(datasette, column, _json_list(value))
    if column == "evidence" and isinstance(value, str):
        items = [Markup("<li>{}</li>").format(e) for e in _json_list(value) if e]
        return Markup("<ul style='margin:0;padding-left:1.1em;min-width:20em'>{}</ul>").format(
            Markup("").join(items)) if items else Markup("<span>–</span>")  # fmt: skip
    if column == "snippet" and isinstance(value, str) and value:
        return Markup('<div style="min-width:16em">{}</div>').format(_marked(value))
    if column == "published" and isinstance(value, str):
        return value[:16].replace("T", " ")  # to the minute: seconds and "Z" are noise here
    if column == "fts":
        return Markup("<span>–</span>")  # the index's hidden column holds nothing to read
    if column == "relevance" and isinstance(value, float):
        return f"{value:.3f}"
    return None
