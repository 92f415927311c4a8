"""`radar ui`'s council page, `/council/<gss>`: a Datasette `register_routes` plugin.

An adviser who reads "Hollinsford ▲ rising" needs one place for the council: who it is
(region, type, what it replaced or was replaced by), its weekly score by factor over the
last year with acute signals marked, the items behind each flagged week with their
evidence, and its sources' health. alerts.council builds it (the same API `radar council`
prints); this module serves it with alerts/templates_ui/council.html.

The queries run on a Datasette connection (`execute_fn`), so the concerns guard's SQLite
authorizer (alerts.ui_guard) sits under them as under every other page, and Datasette's
login, when set, covers this page too. The one exception is concern status: a signed-in
user whom the watch list names (`login:`) as an adviser of the council's region sees that
council's open concerns (number, factors, status, since, owner; never the notes), read on a
connection of this module's own, read-only and outside the guard (Datasette sends a
signed-in user's pages `private, no-store`, so no cache keeps it). Nobody else sees it.

A name or alias (`/council/Kelderby MBC`) redirects to the council's code, so a link can
be written from a name; anything else is a 404.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any
from urllib.parse import quote, unquote

from datasette import hookimpl
from datasette.utils.asgi import Response
from sqlite_utils import Database

from alerts.charts import FACTOR_COLOURS
from alerts.council import council_page
from alerts.digest import FACTOR_NAMES
from store.concerns import concerns
from store.council_page import find_councils

PLUGIN = "council-radar"  # the plugin configuration `radar ui` writes: store and database


def council_path(datasette: Any, gss_or_name: str) -> str:
    """The council page's path in this UI (the one place the UI builds it)."""
    return datasette.urls.path(f"/council/{quote(gss_or_name, safe='')}")


async def not_found(datasette: Any, request: Any, why: str) -> Response:
    """Datasette's own error page with a 404: answered, not raised, so an unknown council
    is not logged as a server error with a traceback."""
    context = {"ok": False, "error": why, "status": 404, "title": "Council not found"}
    body = await datasette.render_template("error.html", context, request=request)
    return Response.html(body, status=404)


def advised_regions(datasette: Any, actor: dict[str, Any] | None) -> list[str]:
    """The regions the signed-in user advises (`radar ui` passes the watch list's `login:`
    names with their regions); none for anyone not signed in or not an adviser."""
    if not actor or not isinstance(actor.get("id"), str):
        return []
    advisers = (datasette.plugin_config(PLUGIN) or {}).get("advisers") or {}
    return list(advisers.get(actor["id"], []))


def council_concerns(store: str, gss_code: str) -> list[dict[str, Any]]:
    """The council's open concerns, read-only on a connection of our own: Datasette's are
    guarded so that no generic page, query or export can ever read a concern."""
    conn = sqlite3.connect(f"file:{quote(store)}?mode=ro", uri=True)
    try:
        return [
            {
                key: row[key]
                for key in ("id", "factors", "status_label", "opened_at", "updated_at", "owner")
            }  # fmt: skip
            for row in concerns(Database(conn), gss_code=gss_code)
        ]
    finally:
        conn.close()


async def radar_page(
    datasette: Any, request: Any, template: str, database: str, **context: Any
) -> Response:
    """One of radar ui's own pages (templates_ui/_radar_page.html's children), with what
    they all use: the store's name, the factors' names and colours, council links."""
    body = await datasette.render_template(
        template,
        {
            "database": database,
            "factor_names": FACTOR_NAMES,
            "factor_colours": FACTOR_COLOURS,
            "council_path": lambda code: council_path(datasette, code),
            **context,
        },
        request=request,
    )
    return Response.html(body)


async def council_view(datasette: Any, request: Any) -> Response:
    config = datasette.plugin_config(PLUGIN) or {}
    name = config.get("database", "")
    if name not in datasette.databases:
        return await not_found(datasette, request, "No store is served here.")
    wanted = unquote(request.url_vars["council"])
    db = datasette.get_database(name)

    def read(conn: Any) -> tuple[str | None, Any]:
        store = Database(conn)
        codes = find_councils(store, wanted)
        if len(codes) != 1:
            return None, None
        return codes[0], council_page(store, codes[0])

    code, page = await db.execute_fn(read)
    if code is None or page is None:
        why = f"No council {wanted!r} here: use its GSS code, name or alias."
        return await not_found(datasette, request, why)
    if code != wanted:
        return Response.redirect(council_path(datasette, code))
    region = page.council.get("region")
    adviser = region in advised_regions(datasette, request.actor)
    open_concerns = (
        await asyncio.to_thread(council_concerns, config["store"], code) if adviser else None
    )
    # concerns None: not this region's adviser
    return await radar_page(
        datasette, request, "council.html", name, page=page, concerns=open_concerns
    )


async def council_form(datasette: Any, request: Any) -> Response:
    """`/council?council=NAME`, what the home page's box sends: on to that council's page."""
    wanted = (request.args.get("council") or "").strip()
    if not wanted:
        return await not_found(datasette, request, "Name a council: its GSS code, name or alias.")
    return Response.redirect(council_path(datasette, wanted))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/council/(?P<council>[^/]+)$", council_view),
        (r"^/council$", council_form),
    ]
