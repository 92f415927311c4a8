"""`radar ui`: browse and search the store in Datasette, on loopback unless told otherwise."""

from __future__ import annotations

import asyncio
import json
import os
import re
from typing import Annotated

import typer

from domain.config import UI_USER_NAME
from radar.console import WatchListOption, err, load_or_exit, open_store, out

ENV_UI_PASSWORD = "RADAR_UI_PASSWORD"
ENV_UI_USERS = "RADAR_UI_USERS"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
HOST_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_.-]{0,252})$")


def register_plugins() -> None:
    """The UI's guards (alerts.ui_guard: concerns never served), its feedback page
    (alerts.ui_feedback) and its pages for people (alerts.ui_pages: home page, readable
    cells, relevance order) as Datasette plugins, registered once."""
    from datasette.plugins import pm

    from alerts import ui_council, ui_feedback, ui_feeds, ui_guard, ui_pages, ui_regions

    for module in (ui_guard, ui_feedback, ui_pages, ui_council, ui_feeds, ui_regions):
        if not pm.is_registered(module):
            pm.register(module, name=f"council-radar-{module.__name__.split('_')[-1]}")


def ui_passwords() -> dict[str, str]:
    """Who may sign in, and their passwords, from the environment only (nothing is written):
    user `radar` with $RADAR_UI_PASSWORD, and each name in $RADAR_UI_USERS (comma- or
    space-separated) with its own $RADAR_UI_PASSWORD_<NAME>, so feedback is signed by the
    adviser who gave it. Exits with a usage error naming what is missing or malformed."""
    users = {"radar": os.environ[ENV_UI_PASSWORD]} if os.environ.get(ENV_UI_PASSWORD) else {}
    for name in re.split(r"[,\s]+", os.environ.get(ENV_UI_USERS, "").strip()):
        if not name:
            continue
        variable = f"{ENV_UI_PASSWORD}_{name.upper()}"
        if not UI_USER_NAME.match(name) or name in users:
            err.print(
                f"{ENV_UI_USERS}: {name!r} is not a user name (lower-case letters, "
                "digits and _, each name once; 'radar' is $RADAR_UI_PASSWORD's user)",
                markup=False,
            )
            raise typer.Exit(2)
        if not os.environ.get(variable):
            err.print(f"{ENV_UI_USERS} names {name}: set {variable} to their password")
            raise typer.Exit(2)
        users[name] = os.environ[variable]
    return users


def ui(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. Anything but loopback needs a login: "
            "$RADAR_UI_PASSWORD (user 'radar') and/or $RADAR_UI_USERS (names, each with "
            "$RADAR_UI_PASSWORD_<NAME>). Set on loopback too, it turns on the login there, "
            "which the feedback page needs.",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")
    ] = 8001,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="A host name the UI answers to besides localhost, IP addresses and --host "
            "(repeatable): the name a reverse proxy passes on. Requests under any other name "
            "are refused, so a hostile page cannot reach the UI by DNS rebinding.",
        ),
    ] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Serve the store in Datasette: a home page leading to this week's radar, search, a
    council's timeline and source health; full-text search of items (best matches first,
    with evidence and snippets) with facets (council, region, factor, sentiment, source
    kind, month), labelled columns, and canned queries (councils on the radar this week, a
    council's timeline, items by factor, source health).

    It refreshes this week's radar into the store's `radar_weeks` table first. Advisers'
    concerns are never served (alerts.ui_guard), and a request under a host name it does not
    know is refused (DNS rebinding).
    """
    import uvicorn
    from datasette.app import Datasette
    from datasette_auth_passwords.utils import hash_password

    from alerts.digest import current_week
    from alerts.scoring import compute_radar
    from alerts.ui_feedback import PLUGIN
    from alerts.ui_guard import host_guard, is_ip_address
    from alerts.ui_pages import TEMPLATES
    from store.ui import ensure_ui_views, metadata, save_radar_snapshot

    config = load_or_exit(watchlist)
    names = [name.lower() for name in allowed_host or []]
    for name in names:
        if not HOST_NAME.match(name.strip("[]")) and not is_ip_address(name.strip("[]")):
            err.print(f"--allowed-host: {name!r} is not a host name", markup=False)
            raise typer.Exit(2)
    passwords = ui_passwords()
    if host not in LOOPBACK and not passwords:
        err.print(
            f"Refusing to serve on {host} without a password: set {ENV_UI_PASSWORD} "
            f"or {ENV_UI_USERS} (the store holds confidential evidence), or use the default "
            "127.0.0.1."
        )
        raise typer.Exit(2)
    if host not in LOOPBACK:
        err.print(
            f"[yellow]Warning:[/yellow] on {host} the password and every page travel "
            "unencrypted (plain HTTP): serve it to others only behind a reverse proxy that "
            'speaks HTTPS (README, "radar ui beyond this machine").'
        )
    # On loopback too: advisers' feedback is taken only from a signed-in user. The hashes
    # reach the auth plugin through the environment: no secret is written to a file.
    logins = {}
    for user, password in passwords.items():
        logins[user] = f"RADAR_UI_HASH_{user.upper()}"
        os.environ[logins[user]] = hash_password(password)
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
    meta = metadata(name, logins)
    # Which signed-in user advises which regions (`login:` in the watch list): the council
    # page shows them, and only them, their regions' concern status.
    advisers = {
        login: regions for login, regions in config.ui_adviser_regions().items() if login in logins
    }
    meta.setdefault("plugins", {})[PLUGIN] = {
        "store": str(config.database),
        "database": name,
        "advisers": advisers,
    }
    datasette = Datasette(
        [str(config.database)],
        metadata=meta,
        template_dir=str(TEMPLATES),  # the home page, leading to the radar
        settings={"sql_time_limit_ms": 5000, "facet_time_limit_ms": 1000},
    )
    asyncio.run(datasette.invoke_startup())
    where = f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}/"
    out.print(f"Council Radar UI: {where}  (Ctrl-C to stop)")
    if logins:
        out.print(f"Sign in as: {', '.join(logins)}.")
    for login, regions in advisers.items():
        out.print(f"{login} sees concern status on council pages in: {', '.join(regions)}.")
    unknown = sorted(set(config.ui_adviser_regions()) - set(logins))
    if unknown:
        out.print(
            f"The watch list's adviser login(s) {', '.join(unknown)} cannot sign in (not in "
            f"${ENV_UI_USERS} with a password): they see no concern status."
        )
    app = host_guard(datasette.app(), [host, *names])
    uvicorn.run(app, host=host, port=port, log_level="warning")
