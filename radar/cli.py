"""The `radar` command: a thin shell over crawlers, classifiers, store and alerts.

Each group of commands lives in its own module (`cmd_*.py`); this one only assembles them.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from radar import (
    cmd_concern,
    cmd_council,
    cmd_crawl,
    cmd_demo,
    cmd_digest,
    cmd_discover,
    cmd_export,
    cmd_feedback,
    cmd_radar,
    cmd_report,
    cmd_saved,
    cmd_tag,
    cmd_ui,
    cmd_watch,
)

app = typer.Typer(
    help=(
        "Council Radar reads English councils' news, meeting minutes and local media, flags "
        "signs of the four causes of council failure, and emails each region's Principal "
        "Adviser a weekly digest with the evidence."
    ),
    no_args_is_help=True,
    add_completion=False,
)
app.command()(cmd_crawl.crawl)
app.command()(cmd_crawl.sources)
app.add_typer(cmd_crawl.source_app, name="source")
app.command()(cmd_discover.discover)
app.command()(cmd_tag.tag)
app.command()(cmd_tag.retag)
app.command()(cmd_digest.digest)
app.command(name="radar")(cmd_radar.radar)
app.command()(cmd_council.council)
app.command()(cmd_radar.alerts)
app.command()(cmd_radar.run)
app.command()(cmd_radar.status)
app.command()(cmd_digest.search)
app.command()(cmd_export.export)
app.command()(cmd_ui.ui)
app.add_typer(cmd_concern.concern_app, name="concern")
app.add_typer(cmd_report.report_app, name="report")
app.add_typer(cmd_watch.watch_app, name="watch")
app.add_typer(cmd_saved.saved_app, name="saved")
app.command()(cmd_demo.demo)
app.command()(cmd_feedback.feedback)
app.command()(cmd_tag.train)
app.command(name="eval")(cmd_tag.eval_command)


def main() -> None:
    """Run a command; a store that cannot be written ends it with one line naming the file and
    the cause ("radar.db: disk is full") and exit code 1, never a traceback."""
    from store.db import describe_store_error, raise_deferred_failure

    try:
        try:
            app()
        except SystemExit as done:
            if done.code in (0, None):
                raise_deferred_failure()  # a pipeline's failure, which Scrapy could not raise
            raise
    except Exception as exc:
        error = describe_store_error(exc)
        if error is None:
            raise
        from radar.console import err

        err.print(f"[red]{escape(str(error))}[/red]", highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
