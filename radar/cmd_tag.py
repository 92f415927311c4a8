"""`radar tag`, `radar train` and `radar eval`: the classifier from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from rich.table import Table

from radar.config import WatchList
from radar.console import WatchListOption, err, load_or_exit, open_store, out, progress_bar


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
    config = load_or_exit(watchlist, required=store)
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
    from store.items import count_flagged, items_to_tag, save_tags

    db = open_store(config)
    with err.status("Loading the classifier…"):
        tagger = Tagger(config)
    pending = list(items_to_tag(db, tagger.version, retag))
    for item in pending:
        item["page_offsets"] = json.loads(item["page_offsets"]) if item["page_offsets"] else None
    tagged = 0
    with progress_bar() as progress:
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
    flagged = count_flagged(db)
    err.print(f"Tagged {tagged} items with {tagger.version}; {flagged} items flagged in the store.")
    return tagged


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
