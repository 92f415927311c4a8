"""`radar ui`: browse and search the store in Datasette, on loopback unless told otherwise."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Annotated

import typer

from radar.console import WatchListOption, err, load_or_exit, open_store, out

ENV_UI_PASSWORD = "RADAR_UI_PASSWORD"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register_plugins() -> None:
    """The UI's guards (alerts.ui_guard: concerns never served) and its feedback page
    (alerts.ui_feedback) as Datasette plugins, registered once."""
    from datasette.plugins import pm

    from alerts import ui_feedback, ui_guard

    for module in (ui_guard, ui_feedback):
        if not pm.is_registered(module):
            pm.register(module, name=f"council-radar-{module.__name__.split('_')[-1]}")


def ui(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. Anything but loopback needs $RADAR_UI_PASSWORD set: "
            "then every page asks for user 'radar' and that password (set on loopback too, "
            "it turns on the login there, which the feedback page needs).",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")
    ] = 8001,
    watchlist: WatchListOption = None,
) -> None:
    """Serve the store in Datasette: full-text search of items with facets (council, region,
    factor, sentiment, source kind, month), labelled columns, and canned queries (councils
    on the radar this week, a council's timeline, items by factor, source health).

    It refreshes this week's radar into the store's `radar_weeks` table first. Advisers'
    concerns are never served (alerts.ui_guard).
    """
    import uvicorn
    from datasette.app import Datasette
    from datasette_auth_passwords.utils import hash_password

    from alerts.digest import current_week
    from alerts.scoring import compute_radar
    from alerts.ui_feedback import PLUGIN
    from store.ui import ensure_ui_views, metadata, save_radar_snapshot

    config = load_or_exit(watchlist)
    actor = None
    password = os.environ.get(ENV_UI_PASSWORD)
    if host not in LOOPBACK and not password:
        err.print(
            f"Refusing to serve on {host} without a password: set {ENV_UI_PASSWORD} "
            "(the store holds confidential evidence), or use the default 127.0.0.1."
        )
        raise typer.Exit(2)
    if host not in LOOPBACK:
        err.print(
            f"[yellow]Warning:[/yellow] on {host} the password and every page travel "
            "unencrypted (plain HTTP): serve it to others only behind a reverse proxy that "
            "speaks HTTPS (README, \"radar ui beyond this machine\")."
        )
    if password:  # on loopback too: advisers' feedback is taken only from a signed-in user
        # Handed to the auth plugin through the environment: no secret is written to a file.
        os.environ["RADAR_UI_PASSWORD_HASH"] = hash_password(password)
        actor = "radar"
    db = open_store(config)
    ensure_ui_views(db)
    radar = compute_radar(db, config.radar, current_week())
    save_radar_snapshot(
        db,
        [
            {**row, "factors": json.dumps(row["factors"]), "acute": ", ".join(row["acute"])}
            for row in radar.rows()
        ],
    )
    db.close()
    name = config.database.stem
    register_plugins()
    meta = metadata(name, require_actor=actor)
    meta.setdefault("plugins", {})[PLUGIN] = {"store": str(config.database)}
    datasette = Datasette(
        [str(config.database)],
        metadata=meta,
        settings={"sql_time_limit_ms": 5000, "facet_time_limit_ms": 1000},
    )
    asyncio.run(datasette.invoke_startup())
    where = f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}/{name}"
    out.print(f"Council Radar UI: {where}  (Ctrl-C to stop)")
    if actor:
        out.print(f"Sign in as '{actor}' with the password in ${ENV_UI_PASSWORD}.")
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")
