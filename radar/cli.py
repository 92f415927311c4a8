"""The `radar` command: a thin shell over crawlers, classifiers, store and alerts."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from radar.config import REGIONS, ConfigError, WatchList, load_watchlist

app = typer.Typer(
    help=(
        "Council Radar reads English councils' news, meeting minutes and local media, flags "
        "signs of the four causes of council failure, and emails each region's Principal "
        "Adviser a weekly digest with the evidence."
    ),
    no_args_is_help=True,
    add_completion=False,
)
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


def _load(path: Path | None, required: bool = True) -> WatchList:
    try:
        return load_watchlist(path, required=required)
    except ConfigError as exc:
        err.print(f"[red]Watch list error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None


def _open_store(watchlist: WatchList) -> Any:
    from store import open_db

    return open_db(watchlist.database)


QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress or tables: only problems (for cron/CI).")
]


@app.command()
def crawl(watchlist: WatchListOption = None, quiet: QuietOption = False) -> None:
    """Crawl every enabled source in the watch list once and store new items.

    Feeds are fetched with conditional GET, and pages and documents already stored are not
    fetched again, so a second crawl of an unchanged web adds nothing. Every source's result
    is recorded (see `radar sources`); a source that fails crawl.max_failures times in a row
    is suspended until an admin resets it.
    """
    config = _load(watchlist)
    summary = crawl_with_progress(config, quiet)
    if quiet:
        for source in summary.sources:
            if source["last_error"]:
                err.print(f"{source['name'] or source['url']}: {source['last_error']}")
        return
    out.print(sources_table(summary.sources))
    for source_id in summary.suspended:
        out.print(f"[yellow]suspended, not crawled:[/yellow] {escape(source_id)}")
    out.print(f"{summary.new_items} new items; {summary.items_after} in {config.database}")


def sources_table(sources: list[dict[str, Any]]) -> Table:
    table = Table(title="Sources (trouble first)", show_lines=False)
    for column in ("source", "kind", "status", "fails", "found", "new", "last success", "error"):
        table.add_column(column)
    for source in sources:
        failures = source.get("consecutive_failures") or 0
        table.add_row(
            escape(source["name"] or source["url"]),
            source["kind"],
            str(source["last_status"] or "-"),
            f"[red]{failures}[/red]" if failures else "0",
            str(source["items_found"] or 0),
            str(source["items_new"] or 0),
            (source["last_success"] or "never")[:16].replace("T", " "),
            escape(source["last_error"] or ""),
        )
    return table


def crawl_with_progress(config: WatchList, quiet: bool = False) -> Any:
    """Run the crawl with a live display of sources checked, items new and skipped, errors."""
    from crawlers.run import CrawlProgress, run_crawl

    if quiet:
        return run_crawl(config)
    with Progress(
        TextColumn("Crawling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sources · {task.fields[status]}"),
        TimeElapsedColumn(),
        console=err,
    ) as progress:
        task = progress.add_task("crawl", total=len(config.all_sources()), status="starting")

        def update(state: CrawlProgress) -> None:
            progress.update(
                task,
                total=state.sources_total,
                completed=state.sources_done,
                status=f"{state.items_new} new, {state.items_skipped} skipped, "
                f"{state.errors} errors",
            )

        return run_crawl(config, on_progress=update)


@app.command()
def sources(
    reset: Annotated[
        str | None,
        typer.Option("--reset", help="Clear the failure count of the source with this URL."),
    ] = None,
    watchlist: WatchListOption = None,
) -> None:
    """Show every source's health, troubled sources first: last attempt and success, HTTP
    status, failures in a row, items found and the last error in words."""
    from store.councils import reset_source, source_health

    config = _load(watchlist)
    db = _open_store(config)
    if reset:
        if not reset_source(db, reset):
            err.print(f"No source with URL {reset!r} in {config.database}.")
            raise typer.Exit(2)
        out.print(f"{reset}: failure count cleared; the next crawl will try it again.")
        return
    out.print(sources_table(source_health(db)))


@app.command()
def tag(
    store: Annotated[
        bool, typer.Option("--store", help="Tag the stored items that have no tags yet.")
    ] = False,
    retag: Annotated[
        bool, typer.Option("--retag", help="With --store: tag every stored item again.")
    ] = False,
    watchlist: WatchListOption = None,
) -> None:
    """Tag items with the four failure factors, sentiment and the councils they are about.

    Without --store, reads JSON Lines on standard input (one object per line with id, title,
    text and optionally kind and url) and writes one JSON result per line: id, factors
    (a score in [0,1] per factor), labels, sentiment, councils, evidence.
    """
    config = _load(watchlist, required=store)
    if store:
        tag_store(config, retag)
        return
    if sys.stdin.isatty():
        err.print("radar tag reads JSON Lines on standard input, e.g. `radar tag < items.jsonl`;")
        err.print("use `radar tag --store` to tag the items in the store.")
        raise typer.Exit(2)
    failures = tag_stream(config, sys.stdin, sys.stdout)
    if failures:
        err.print(f"[red]{failures} input line(s) could not be tagged (see the error objects).")
        raise typer.Exit(1)


def _read_jsonl(lines: Any, errors: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("each line must be a JSON object")
            if not isinstance(item.get("text", ""), str) or not isinstance(
                item.get("title", ""), str
            ):
                raise ValueError("title and text must be strings")
        except ValueError as exc:
            errors.append({"line": number, "error": f"stdin line {number}: {exc}"})
            yield {"_error": errors[-1]}
            continue
        yield item


def tag_stream(config: WatchList, lines: Any, output: Any) -> int:
    """The `radar tag` contract: JSON Lines in, one JSON result per input line out."""
    from classifiers.tagger import Tagger

    tagger = Tagger(config)
    errors: list[dict[str, Any]] = []
    items = list(_read_jsonl(lines, errors))
    good = [item for item in items if "_error" not in item]
    results = iter(tagger.tag_many(good))
    for item in items:
        if "_error" in item:
            output.write(json.dumps({"id": None, **item["_error"]}) + "\n")
            continue
        result = next(results)
        result.pop("flags")
        output.write(json.dumps(result, ensure_ascii=False) + "\n")
    output.flush()
    return len(errors)


def tag_store(config: WatchList, retag: bool = False) -> int:
    from classifiers.tagger import Tagger
    from pipelines.normalise import now_iso
    from store.items import items_to_tag, save_tags

    db = _open_store(config)
    with err.status("Loading the classifier…"):
        tagger = Tagger(config)
    pending = list(items_to_tag(db, tagger.version, retag))
    for item in pending:
        item["page_offsets"] = json.loads(item["page_offsets"]) if item["page_offsets"] else None
    tagged = 0
    with _progress() as progress:
        task = progress.add_task("Tagging items", total=len(pending))
        rows = []
        for item, result in zip(pending, tagger.tag_many(pending), strict=True):
            rows.append(
                {
                    "item_id": item["id"],
                    "classifier_version": tagger.version,
                    "sentiment": result["sentiment"],
                    "service": result["service"],
                    "scores": result["factors"],
                    "flags": {
                        f: {k: v for k, v in flag.items() if k != "rule"}
                        for f, flag in result["flags"].items()
                    },
                    "tagged_at": now_iso(),
                }
            )
            progress.advance(task)
        tagged = save_tags(db, rows)
    flagged = db.execute("select count(distinct item_id) from flags").fetchone()[0]
    err.print(f"Tagged {tagged} items with {tagger.version}; {flagged} items flagged in the store.")
    return tagged


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )


@app.command()
def digest(
    region: Annotated[
        str | None, typer.Option("--region", "-r", help="The region, e.g. 'North West'.")
    ] = None,
    all_regions: Annotated[
        bool, typer.Option("--all-regions", help="Every region that has advisers configured.")
    ] = False,
    week: Annotated[
        str | None,
        typer.Option("--week", help="ISO week like 2026-W48 (default: the current week)."),
    ] = None,
    preview: Annotated[
        Path | None,
        typer.Option("--preview", help="Write the HTML digest to this file and send nothing."),
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Email the digest to the region's advisers over SMTP.")
    ] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send again even if this week's digest was sent.")
    ] = False,
    watchlist: WatchListOption = None,
) -> None:
    """Build the weekly digest of councils on the radar for a region, with the evidence.

    Without --send it writes the HTML and text digests under the watch list's output_dir and
    prints where; with --send it also emails them to the advisers configured for the region.
    """
    from alerts.deliver import AlreadySent, send_digest, write_digest
    from alerts.digest import current_week
    from alerts.mailer import DeliveryError

    config = _load(watchlist)
    week = week or current_week()
    regions = _chosen_regions(config, region, all_regions)
    if preview and len(regions) != 1:
        err.print("--preview writes one file: choose one --region.")
        raise typer.Exit(2)
    db = _open_store(config)
    failed = False
    for name in regions:
        try:
            if send and not preview:
                outcome = send_digest(db, config, name, week, resend=resend)
                out.print(
                    f"{name}: sent to {', '.join(outcome.recipients)} "
                    f"({len(outcome.digest.councils)} councils) {outcome.message_id}"
                )
            else:
                outcome = write_digest(db, config, name, week)
                if preview:
                    preview.write_text(
                        outcome.html_path.read_text(encoding="utf-8"), encoding="utf-8"
                    )
                out.print(
                    f"{name}: {len(outcome.digest.councils)} councils → "
                    f"{preview or outcome.html_path}"
                )
        except (AlreadySent, DeliveryError, ValueError) as exc:
            err.print(f"[red]{name}:[/red] {exc}")
            failed = True
    if failed:
        raise typer.Exit(1)


def _chosen_regions(config: WatchList, region: str | None, all_regions: bool) -> list[str]:
    if all_regions:
        return [r for r in REGIONS if r in config.regions]
    if region is None:
        err.print("Choose a region with --region NAME, or use --all-regions.")
        raise typer.Exit(2)
    match = [r for r in REGIONS if r.lower() == region.lower()]
    if not match:
        err.print(f"Unknown region {region!r}. Regions: {', '.join(REGIONS)}")
        raise typer.Exit(2)
    return match


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for, e.g. '\"section 114\"'.")],
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many results.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON Lines.")] = False,
    watchlist: WatchListOption = None,
) -> None:
    """Full-text search of every stored item (titles and text), best matches first.

    The query uses SQLite FTS5 syntax: words, "quoted phrases", AND / OR / NOT, prefix*.
    """
    from store.search import SearchError
    from store.search import search as run_search

    config = _load(watchlist)
    try:
        marks = ("[", "]") if as_json else ("\x02", "\x03")
        rows = run_search(_open_store(config), query, limit, marks)
    except SearchError as exc:
        err.print(f"[red]{exc}")
        raise typer.Exit(2) from None
    if as_json:
        for row in rows:
            out.print_json(json.dumps(row, ensure_ascii=False), indent=None)
        return
    table = Table(title=f"{len(rows)} results for {query!r}", show_lines=True)
    for column in ("date", "council", "title / snippet", "factors", "sentiment"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            (row["published"] or "")[:10],
            escape(", ".join(c["name"] for c in row["councils"])),
            f"[bold]{escape(row['title'])}[/bold]\n{_highlight(row['snippet'])}\n"
            f"[dim]{escape(row['url'])}[/dim]",
            ", ".join(row["factors"]),
            row["sentiment"] or "",
        )
    out.print(table)


def _highlight(snippet: str) -> str:
    """Scraped text is escaped for Rich; only our own match marks become markup."""
    return escape(snippet).replace("\x02", "[bold yellow]").replace("\x03", "[/bold yellow]")


@app.command()
def train() -> None:
    """Train the factor, service and sentiment heads from classifiers/data/train.jsonl.

    Writes classifiers/model/heads.json (commit it) and prints its scores on the dev set.
    """
    from classifiers.evaluate import evaluate
    from classifiers.tagger import Tagger
    from classifiers.train import train_and_save

    with err.status("Embedding the training data and fitting the heads…"):
        heads = train_and_save()
    out.print(f"Saved classifier {heads.version} (data sha256 {heads.data_sha256[:12]}…)")
    _print_eval(evaluate(Tagger(WatchList(), heads=heads)))


@app.command(name="eval")
def eval_command() -> None:
    """Score the committed classifier on the held-out dev set: precision, recall, F1."""
    from classifiers.evaluate import evaluate
    from classifiers.tagger import Tagger

    _print_eval(evaluate(Tagger(WatchList())))


def _print_eval(report: dict[str, Any]) -> None:
    table = Table(title=f"Dev set: {report['examples']} examples, {report['classifier_version']}")
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column)
    for key, value in report.items():
        if isinstance(value, dict):
            table.add_row(
                key,
                f"{value['precision']:.2f}",
                f"{value['recall']:.2f}",
                f"{value['f1']:.2f}",
                str(value["support"]),
            )
    out.print(table)
    out.print(
        f"Routine items wrongly flagged: {report['routine_false_alarm_rate']:.1%}; "
        f"sentiment accuracy: {report['sentiment_accuracy']:.1%}"
    )


@app.command()
def demo(
    output: Annotated[
        Path, typer.Option("--output", help="Folder for the demo's store, digests and mail.")
    ] = Path("demo-output"),
    port: Annotated[
        int, typer.Option("--port", help="Port for the demo web (0: any free port).")
    ] = 0,
) -> None:
    """Run the whole product offline on the recorded demo web, start to finish.

    Serves demo/site/ on 127.0.0.1, crawls it, tags the items, builds this week's digest for
    every region and delivers them to an SMTP server on loopback that saves each message.
    """
    from alerts.deliver import send_digest
    from alerts.digest import current_week
    from alerts.sink import SmtpSink
    from demo.server import WATCHLIST, DemoWeb
    from store.items import flagged_overview

    if output.exists():
        shutil.rmtree(output)  # the demo starts from nothing every time
    with DemoWeb(port=port) as web, SmtpSink(output / "mail") as sink:
        try:
            config = load_watchlist(
                WATCHLIST,
                base_url=web.base_url,
                database=str(output / "radar.db"),
                output_dir=str(output),
                smtp={"host": "127.0.0.1", "port": sink.port},
            )
        except ConfigError as exc:
            err.print(f"[red]{exc}")
            raise typer.Exit(2) from None
        out.print(f"[bold]1. Serving the demo web[/bold] at {web.base_url}/")
        out.print(f"[bold]2. Crawling[/bold] {len(config.all_sources())} sources…")
        summary = crawl_with_progress(config)
        for source in summary.sources:
            status = source["last_error"] or f"HTTP {source['last_status']}"
            out.print(f"   {source['name']:<34} {source['items_new'] or 0:>3} new items  {status}")
        out.print(f"[bold]3. Tagging[/bold] {summary.items_after} items…")
        tag_store(config)
        db = _open_store(config)
        flagged = Table(title="Flagged items", show_lines=False)
        for column in ("published", "council", "kind", "factors", "title"):
            flagged.add_column(column)
        for row in flagged_overview(db):
            flagged.add_row(
                (row["published"] or "")[:10],
                escape(row["councils"] or ""),
                row["kind"],
                row["factors"].replace(",", ", "),
                escape(row["title"]),
            )
        out.print(flagged)
        out.print("[bold]4. Sending this week's digests[/bold] to the SMTP server on loopback…")
        week = current_week()
        for region in [r for r in REGIONS if r in config.regions]:
            outcome = send_digest(db, config, region, week, resend=True)
            names = ", ".join(c.name for c in outcome.digest.councils) or "nothing on the radar"
            out.print(f"   {region:<26} → {outcome.recipients[0]}: {names}")
        messages = len(sink.messages())
    out.print()
    out.print("[bold green]Done.[/bold green] Where to look:")
    out.print(f"   store (SQLite):   {config.database}")
    out.print(f"   digests (HTML):   {config.output_dir / 'digests' / week}/")
    out.print(f"   mail received:    {output / 'mail'}/ ({messages} .eml messages)")
    out.print(
        f"   search:           .venv/bin/radar search '\"section 114\"' -w {output}/watchlist.yaml"
    )
    (output / "watchlist.yaml").write_text(_demo_watchlist_yaml(config), encoding="utf-8")


def _demo_watchlist_yaml(config: WatchList) -> str:
    """A watch list pointing at the demo's store, so `radar search` works after the demo."""
    import yaml

    data = {
        "database": str(config.database),
        "output_dir": str(config.output_dir),
        "regions": {
            name: {"advisers": [adviser.model_dump() for adviser in region.advisers]}
            for name, region in config.regions.items()
        },
    }
    header = "# Written by `radar demo`: the demo's store and output, for search and digest.\n"
    return header + yaml.safe_dump(data, sort_keys=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
