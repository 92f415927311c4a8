"""`radar ui`'s region and England views, `/region/<slug>` and `/england`: a Datasette
`register_routes` plugin.

An adviser covering a region, and the panel looking at England, want the radar at a glance:
who is on it this week, ranked, with each council's last weeks as a sparkline, and where
they are. alerts.regions builds the view (the same one the PSP report's map comes from);
this module serves it with alerts/templates_ui/region.html.

As on the council page (alerts.ui_council), the queries run on a Datasette connection
(`execute_fn`), under the concerns guard's SQLite authorizer and the UI's login; nothing
here reads the advisers' concerns. An unknown region is a 404 naming the known ones.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response
from sqlite_utils import Database

from alerts.deliver import region_slug
from alerts.regions import RegionView, region_of_slug, region_view
from alerts.ui_council import PLUGIN, council_path, not_found, radar_page
from domain.config import REGIONS


def region_path(datasette: Any, region: str | None) -> str:
    """The view's path in this UI: `/england`, or `/region/<slug>`."""
    return datasette.urls.path("/england" if region is None else f"/region/{region_slug(region)}")


async def _serve(datasette: Any, request: Any, region: str | None) -> Response:
    name = (datasette.plugin_config(PLUGIN) or {}).get("database", "")
    if name not in datasette.databases:
        return await not_found(datasette, request, "No store is served here.")

    def read(conn: Any) -> RegionView:
        return region_view(Database(conn), region, lambda code: council_path(datasette, code))

    view = await datasette.get_database(name).execute_fn(read)
    regions = [(r, region_path(datasette, r)) for r in REGIONS]
    return await radar_page(
        datasette,
        request,
        "region.html",
        name,
        view=view,
        regions=regions,
        england_path=region_path(datasette, None),
    )


async def england_view(datasette: Any, request: Any) -> Response:
    return await _serve(datasette, request, None)


async def region_page(datasette: Any, request: Any) -> Response:
    slug = request.url_vars["region"]
    region = region_of_slug(slug)
    if region is None:
        known = ", ".join(region_slug(r) for r in REGIONS)
        return await not_found(datasette, request, f"No region {slug!r}: one of {known}.")
    return await _serve(datasette, request, region)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/england$", england_view),
        (r"^/region/(?P<region>[^/]+)$", region_page),
    ]
