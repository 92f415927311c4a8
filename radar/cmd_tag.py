"""`radar tag`, `radar train` and `radar eval`: the classifier from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from radar.config import FACTORS, WatchList
from radar.console import WatchListOption, err, load_or_exit, open_store, out, progress_bar


def tag(
    store: Annotated[
        bool,
        typer.Option("--store", help="Tag the stored items with no tags from this classifier."),
    ] = False,
    watchlist: WatchListOption = None,
) -> None:
    """Tag items with the four failure factors, sentiment and the councils they are about.

    Without --store, reads JSON Lines on standard input (one object per line with id, title,
    text and optionally kind, url and council, the GSS code of the council that published it)
    and writes one JSON result per line: id, factors (a score in [0,1] per factor), labels,
    sentiment, service, councils, evidence, classifier_version.
    """
    config = load_or_exit(watchlist, required=store)
    if store:
        tag_store(config)
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
            if not all(isinstance(item.get(key) or "", str) for key in ("title", "text")):
                raise ValueError("title and text must be strings")
            if not isinstance(item.get("council") or "", str):
                raise ValueError("council must be a GSS code (a string)")
            offsets = item.get("page_offsets") or []
            if not isinstance(offsets, list) or offsets != sorted(
                o for o in offsets if isinstance(o, int) and not isinstance(o, bool)
            ):
                raise ValueError("page_offsets must be a sorted list of character offsets")
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


def retag(
    everything: Annotated[
        bool, typer.Option("--all", help="Classify every stored item again, not only stale ones.")
    ] = False,
    watchlist: WatchListOption = None,
) -> None:
    """Re-classify stored items with the current classifier (tags from older versions, or none).

    Also re-links each item to the councils its text names, so better attribution reaches
    the store. Saves as it goes: stopped half-way, a rerun carries on where it left off.
    """
    tag_store(load_or_exit(watchlist, required=True), everything=everything)


def tag_store(config: WatchList, everything: bool = False) -> int:
    """Tag stored items in chunks, each saved in its own transaction (resumable)."""
    from classifiers.heads import load_heads
    from classifiers.tagger import CHUNK_ITEMS, Tagger
    from pipelines.normalise import now_iso
    from store.db import check_writable
    from store.items import count_flagged, ids_to_tag, items_by_id, save_tags

    db = open_store(config)
    heads = load_heads()
    pending = ids_to_tag(db, heads.version, everything)
    if not pending:  # the hourly job's usual case: no need to load the model at all
        err.print(f"Nothing to tag: every stored item has tags from {heads.version}.")
        return 0
    check_writable(db, config.database)  # a read-only store fails now, not after the model
    with err.status("Loading the classifier…"):
        tagger = Tagger(config, heads=heads)
    known = set(config.council_register())
    tagged = 0
    with progress_bar() as progress:
        task = progress.add_task(f"Tagging with {tagger.version}", total=len(pending))
        for start in range(0, len(pending), CHUNK_ITEMS):
            items = items_by_id(db, pending[start : start + CHUNK_ITEMS])
            for item in items:
                offsets = item["page_offsets"]
                item["page_offsets"] = json.loads(offsets) if offsets else None
            rows = [
                {
                    "item_id": item["id"],
                    "classifier_version": tagger.version,
                    "sentiment": result["sentiment"],
                    "service": result["service"],
                    "scores": result["factors"],
                    "flags": result["flags"],  # with the rule that fired, if one did
                    "councils": [
                        c["gss_code"]
                        for c in result["councils"]
                        if c["gss_code"] != item["council"]
                    ],
                    "tagged_at": now_iso(),
                }
                for item, result in zip(items, tagger.tag_many(items), strict=True)
            ]
            tagged += save_tags(db, rows, known)
            progress.advance(task, len(rows))
    flagged = count_flagged(db)
    err.print(f"Tagged {tagged} items with {tagger.version}; {flagged} items flagged in the store.")
    return tagged


def train() -> None:
    """Train the factor, service and sentiment heads from classifiers/data/train.jsonl.

    Writes classifiers/model/heads.json (commit it) and prints its scores on the dev split,
    which it never trains on.
    """
    from classifiers.evaluate import DEV_FILE, LabelError, evaluate_factors, read_labelled
    from classifiers.tagger import Tagger
    from classifiers.train import DataError, train_heads

    try:
        with err.status("Embedding the training data and fitting the heads…"):
            heads = train_heads()
        _, examples = read_labelled(DEV_FILE)
    except (LabelError, DataError) as exc:
        err.print(f"[red]{escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    report = evaluate_factors(Tagger(WatchList(), heads=heads), examples)
    ours = report["classifier"]
    heads.metrics["dev"] = {  # provenance: what this artefact scored when it was made
        "examples": report["examples"],
        "macro_f1": round(ours["macro_f1"], 4),
        "false_alarm_rate": round(ours["false_alarm_rate"], 4),
        "sentiment_accuracy": round(ours["sentiment_accuracy"], 4),
    }
    heads.save()
    out.print(f"Saved classifier {heads.version} (data sha256 {heads.data_sha256[:12]}…)")
    _print_factors(DEV_FILE, report)


def eval_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Labelled JSON Lines: id, title, text, factors, sentiment (or id, text, "
            "councils for attribution). Default: the dev split and the attribution set."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    misses: Annotated[
        bool, typer.Option("--misses", help="Also list the items the classifier got wrong.")
    ] = False,
    long_items: Annotated[
        bool,
        typer.Option(
            "--long",
            help="Also hide each adverse item in 300 words of routine ones and measure how "
            "often it is still found (about a minute).",
        ),
    ] = False,
    watchlist: WatchListOption = None,
) -> None:
    """Score the committed classifier and two baselines (keywords, VADER) on labelled data.

    With a watch list, its thresholds, extra terms and council aliases apply, as in tagging.
    """
    from classifiers.evaluate import (
        ATTRIBUTION_FILE,
        DEV_FILE,
        LabelError,
        evaluate_attribution,
        evaluate_factors,
        evaluate_long_items,
        read_labelled,
    )

    config = load_or_exit(watchlist, required=False)
    reports = {}
    tagger = None
    for path in files or [DEV_FILE, ATTRIBUTION_FILE]:
        try:
            kind, examples = read_labelled(path)
        except LabelError as exc:
            err.print(f"[red]{escape(str(exc))}", highlight=False)
            raise typer.Exit(2) from None
        if kind == "attribution":
            report = evaluate_attribution(config, examples)
            if not as_json:
                _print_attribution(path, report, misses)
        else:
            if tagger is None:
                from classifiers.tagger import Tagger

                with err.status("Loading the classifier…"):
                    tagger = Tagger(config)
            report = evaluate_factors(tagger, examples, keep_misses=misses)
            if long_items:
                report["long_items"] = evaluate_long_items(tagger, examples)
            if not as_json:
                _print_factors(path, report)
        reports[str(path)] = report
    if as_json:
        out.print_json(data=reports)


def _print_factors(path: Path, report: dict[str, Any]) -> None:
    ours, keywords = report["classifier"], report["keywords"]
    table = Table(
        title=f"{path.name}: {report['examples']} items, classifier {report['classifier_version']}"
    )
    for column in ("factor", "precision", "recall", "F1", "support", "keywords F1"):
        table.add_column(column, justify="left" if column == "factor" else "right")
    for label in (*FACTORS, "service"):
        row = ours[label]
        table.add_row(
            label,
            f"{row['precision']:.2f}",
            f"{row['recall']:.2f}",
            f"{row['f1']:.2f}",
            str(row["support"]),
            "—" if label == "service" else f"{keywords[label]['f1']:.2f}",  # no keywords for it
        )
    table.add_row("macro-F1 (4 factors)", "", "", f"{ours['macro_f1']:.2f}", "",
                  f"{keywords['macro_f1']:.2f}", style="bold")  # fmt: skip
    out.print(table)
    out.print(
        f"False alarms on the {ours['routine_items']} items with no factor: "
        f"{ours['false_alarm_rate']:.1%} (keywords {keywords['false_alarm_rate']:.1%})\n"
        f"Sentiment accuracy: {ours['sentiment_accuracy']:.1%} "
        f"(VADER {report['vader']['sentiment_accuracy']:.1%})"
    )
    hidden = report.get("long_items")
    for layout in ("paragraphs", "run_on") if hidden else ():
        figures = hidden[layout]
        out.print(
            f"One adverse item hidden in {hidden['words']} words of routine ones "
            f"({layout.replace('_', '-')}): found {figures['recall']:.1%}; "
            f"routine-only items flagged {figures['false_alarm_rate']:.1%}"
        )
    for miss in report.get("misses", []):
        out.print(f"  [yellow]{miss['id']}[/]: expected {miss['expected']}, got {miss['got']}: "
                  f"{miss['text'][:160]}", markup=True, highlight=False)  # fmt: skip


def _print_attribution(path: Path, report: dict[str, Any], misses: bool) -> None:
    table = Table(title=f"{path.name}: council attribution on {report['examples']} items")
    for column in ("method", "precision", "recall", "F1", "exactly right"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for label, key in (("Council Radar", "matcher"), ("name search (baseline)", "name_search")):
        row = report[key]
        table.add_row(label, f"{row['precision']:.3f}", f"{row['recall']:.3f}",
                      f"{row['f1']:.3f}", f"{row['exact']:.1%}")  # fmt: skip
    out.print(table)
    for miss in report["misses"] if misses else []:
        out.print(f"  [yellow]{miss['id']}[/]: expected {miss['gold']}, got {miss['found']}: "
                  f"{miss['text'][:160]}", highlight=False)  # fmt: skip
