"""What every `radar` command shares: consoles, common options, loading the watch list."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from domain.config import ConfigError, WatchList, load_watchlist
from store.councils import council_names

MAX_ROWS = 100_000  # the most results a command prints: --limit beyond it is a typo
SQLITE_MAX = 2**63 - 1  # the largest integer SQLite stores; a larger number is no row's

# Piped or captured output (make, CI, a log file) gets wide lines rather than 80 columns.
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 140)

WatchListOption = Annotated[
    Path | None,
    typer.Option(
        "--watchlist",
        "-w",
        help="The watch list YAML file (default: $RADAR_WATCHLIST, else ./watchlist.yaml).",
    ),
]


def load_or_exit(path: Path | None, required: bool = True) -> WatchList:
    try:
        return load_watchlist(path, required=required)
    except ConfigError as exc:
        err.print("[red]Watch list error:[/red]", escape(str(exc)), highlight=False)
        raise typer.Exit(2) from None


@contextmanager
def writing_watchlist(path: Path) -> Iterator[None]:
    """An edit of the watch list at `path` that cannot be made ends in one line and exit 2,
    the file untouched: an edit that would not load (or does not apply), or a file that
    cannot be written (its folder missing or read-only, the disk full)."""
    from domain.watchfile import EditError

    try:
        yield
    except (ConfigError, EditError) as exc:
        err.print(f"[red]Not written; the watch list would not load:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except OSError as exc:
        err.print(f"[red]Not written:[/red] {escape(str(path))}: {escape(str(exc.strerror))}")
        raise typer.Exit(2) from None


def council_code(config: WatchList, text: str, db: Any = None) -> str:
    """A GSS code from a council's code, name, official name or alias (the register's, and
    the store's councils if `db` is given), or exit naming the problem."""
    known: dict[str, set[str]] = {
        c.gss_code: {c.name.lower(), c.official_name.lower(), *(a.lower() for a in c.aliases)}
        for c in config.council_register().values()
    }
    for code, row in (council_names(db) if db is not None else {}).items():
        known.setdefault(code, set()).add(row["name"].lower())
    if text.upper() in known:
        return text.upper()
    matches = [code for code, names in known.items() if text.strip().lower() in names]
    if len(matches) != 1:
        problem = "is ambiguous" if matches else "is not a council we know"
        err.print(f"{text!r} {problem}: use the council's GSS code (`radar watch list --all`).")
        raise typer.Exit(2)
    return matches[0]


def open_store(watchlist: WatchList, create: bool = False) -> Any:
    """The watch list's store. Only commands that make one (`crawl`, `run`, `demo`, `tag
    --store`, `concern open`) create it: any other command on a missing store stops with one
    line naming it, not an empty store and a report of "0 councils"."""
    from store import open_db

    if not create and not watchlist.database.exists():
        err.print(
            f"{escape(str(watchlist.database))}: no store here yet (crawl first with "
            "`radar crawl`, or check `database:` in the watch list)",
            highlight=False,
        )
        raise typer.Exit(1)
    return open_db(watchlist.database)


# Date ranges (search, export): YYYY-MM-DD, both ends inclusive.
SinceOption = Annotated[
    datetime | None, typer.Option("--since", formats=["%Y-%m-%d"], help="From this date.")
]
UntilOption = Annotated[
    datetime | None,
    typer.Option("--until", formats=["%Y-%m-%d"], help="Up to this date (inclusive)."),
]

QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress or tables: only problems (for cron/CI).")
]


def progress_bar() -> Progress:
    """The progress bar long work shows (tagging, training)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )


@contextmanager
def writing_output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or the file at `path` written whole or not at all: into a temporary file beside
    it, renamed over it at the end, so an export that fails (a full disk, a missing folder, a
    kill) leaves any old file as it was and no half file. A device or pipe (`-o /dev/stdout`)
    is written directly. A failure is one line naming the file, and exit code 1."""
    if path is None:
        yield sys.stdout
        return
    direct = path.exists() and not path.is_file()
    target = path if direct else path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        handle = target.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        _cannot_write(path, exc)
    try:
        with handle:
            yield handle
        if not direct:
            os.replace(target, path)
    except BaseException as exc:
        if not direct:
            target.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            _cannot_write(path, exc)
        raise


def _cannot_write(path: Path, exc: OSError) -> NoReturn:
    err.print(f"{escape(str(path))}: cannot write ({exc.strerror or exc})", highlight=False)
    raise typer.Exit(1)
