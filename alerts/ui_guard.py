"""`radar ui`'s guards: the advisers' concerns are never served, and a request made under a
host name the UI does not know is refused.

Concerns are confidential: a concern's status shows next to the council in that region's
digest and in the PSP report, and nowhere else. So the UI serves no concern data to anyone,
signed in or not. This module is a Datasette plugin (`radar ui` registers it, as it does
the feedback page):

- `prepare_connection` puts store.ui's SQLite authorizer on every connection Datasette
  opens, so any SQL that reads a concerns table fails, whichever URL sent it. That is the
  guard that holds: it sits under every Datasette feature (and every later plugin), where a
  list of URLs or views to block would miss one.
- `permission_allowed` denies `view-table` on them, so no table list shows them and their
  pages answer 403 rather than an SQL error.

A separate database file for concerns would also keep them out, but it moves the data (every
store, a migration, the commands that join concerns to councils) to change what one
command serves.

`host_guard` wraps the whole ASGI app against DNS rebinding: a web page an adviser visits
could make its own name resolve to 127.0.0.1 and then read a loopback UI through the
adviser's browser; the browser still sends the page's name as the Host header, so any
name not known here is refused (400).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from datasette import hookimpl

from store.ui import is_confidential, ui_authorizer


@hookimpl
def prepare_connection(conn: Any) -> None:
    conn.set_authorizer(ui_authorizer)


@hookimpl(trylast=True)  # Datasette takes the last answer given: this one
def permission_allowed(action: str, resource: Any) -> bool | None:
    if action == "view-table" and resource and is_confidential(resource[1]):
        return False
    return None


# A Host header: a name or an address, or an IPv6 address in brackets; then maybe a port.
HOST = re.compile(r"^(?:\[(?P<ip6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9_.-]+))(?::[0-9]{1,5})?$")
REFUSED = (
    b"400 Bad Request: this radar ui does not answer to that host name "
    b"(an admin adds one with radar ui --allowed-host NAME).\n"
)


def host_allowed(host: str, names: set[str]) -> bool:
    """Whether a request's Host header is one to answer: `localhost`, a name in `names`, or
    any IP address. An address is safe to accept: rebinding needs a name whose DNS the
    attacker controls, and a browser sends an address only when it connected to it."""
    found = HOST.match(host.lower())
    if not found:
        return False
    name = found["ip6"] or found["name"]
    return is_ip_address(name) or name == "localhost" or name in names


def is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def host_guard(app: Any, names: Iterable[str]) -> Any:
    """The ASGI app `app`, answering 400 to a request whose Host header `host_allowed`
    refuses (checked before any login, so a stranger's name learns nothing). `names`: the
    host `radar ui` is bound to and the names given with `--allowed-host` (a reverse proxy
    that passes its own name on, as Caddy does)."""
    allowed = {n.lower().strip("[]") for n in names}

    async def guarded(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if not host_allowed(host, allowed):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                headers = [(b"content-type", b"text/plain; charset=utf-8")]
                await send({"type": "http.response.start", "status": 400, "headers": headers})
                await send({"type": "http.response.body", "body": REFUSED})
                return
        await app(scope, receive, send)

    return guarded
