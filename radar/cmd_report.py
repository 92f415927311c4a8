"""`radar report psp`: the national Performance Support Panel report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radar.console import WatchListOption, err, load_or_exit, open_store, out

report_app = typer.Typer(help="Reports built from the store.", no_args_is_help=True)


@report_app.command("psp")
def psp(
    week: Annotated[
        str | None, typer.Option("--week", help="ISO week (default: the current week).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Folder (default: <output_dir>/reports)."),
    ] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Write the Performance Support Panel report as HTML and Markdown: councils with open
    concerns by region (status, support under way, latest evidence), then the radar's top
    councils not yet under a concern. Confidential: concern notes appear only here and in
    that region's digest."""
    from alerts.deliver import normal_week
    from alerts.digest import current_week
    from alerts.psp import build_psp, render_psp
    from pipelines.normalise import now_iso

    config = load_or_exit(watchlist)
    try:
        week = normal_week(week) if week else current_week()
    except ValueError as exc:
        err.print(f"[red]{exc}")
        raise typer.Exit(2) from None
    report = build_psp(open_store(config), config.radar, week, now_iso(), config.ui.base_url)
    html, markdown = render_psp(report)
    folder = output or config.output_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / f"psp-{week}.html"
    html_path.write_text(html, encoding="utf-8")
    html_path.with_suffix(".md").write_text(markdown, encoding="utf-8")
    (folder / report.map_file).write_text(report.map_svg, encoding="utf-8")  # the HTML shows it
    out.print(
        f"{report.open_count} open concerns, {len(report.not_under_concern)} councils on the "
        f"radar without one → {html_path}, {html_path.with_suffix('.md')} and the map "
        f"{folder / report.map_file}"
    )
