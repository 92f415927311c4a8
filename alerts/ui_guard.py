"""`radar ui`'s guard: the advisers' concerns are never served.

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
"""

from __future__ import annotations

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
