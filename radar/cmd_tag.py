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

from domain.config import FACTORS, WatchList
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
            if not valid_text(item):
                raise ValueError("a string holds a lone surrogate (\\ud800-\\udfff), not text")
        except RecursionError:  # "[[[[…": json.loads recurses once per level
            errors.append({"line": number, "error": f"stdin line {number}: nested too deep"})
            yield {"_error": errors[-1]}
            continue
        except ValueError as exc:
            errors.append({"line": number, "error": f"stdin line {number}: {exc}"})
            yield {"_error": errors[-1]}
            continue
        yield item


def valid_text(item: dict[str, Any]) -> bool:
    """JSON may carry "\\ud800", half a surrogate pair, which no text encoding can write: the
    tokenizer refuses it (TypeError) and so would the output line. Such a line is an error
    of its own, not the end of the batch."""
    try:
        json.dumps(item, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    """`classifiers.pending.tag_pending` with a progress bar and a closing line."""
    from classifiers.pending import tag_pending

    db = open_store(config, create=True)
    loading = err.status("Loading the classifier…")
    loading.start()
    progress = progress_bar()
    task: Any = None

    def advance(done: int, total: int) -> None:
        nonlocal task
        if task is None:  # the model is loaded: the spinner gives way to the bar
            loading.stop()
            progress.start()
            task = progress.add_task("Tagging", total=total)
        progress.update(task, completed=done)

    try:
        run = tag_pending(config, db, everything, progress=advance)
    finally:
        loading.stop()
        progress.stop()
    if not run.pending:  # the hourly job's usual case: no need to load the model at all
        err.print(f"Nothing to tag: every stored item has tags from {run.version}.")
        return 0
    err.print(
        f"Tagged {run.tagged} items with {run.version}; {run.flagged} items flagged in the "
        f"store; {run.embedded:,} texts embedded, {run.cached:,} read from the embedding cache."
    )
    return run.tagged


def train(
    no_feedback: Annotated[
        bool,
        typer.Option("--no-feedback", help="Train on the committed data only (reproducible)."),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the heads here instead of the classifier's "
                     "own artefact (classifiers/model/heads.json), to compare before using."),
    ] = None,  # fmt: skip
    watchlist: WatchListOption = None,
) -> None:
    """Train the factor, service and sentiment heads from classifiers/data/train*.jsonl and
    the advisers' judgements in the watch list's store (`radar feedback`).

    Writes classifiers/model/heads.json (commit it, when trained without feedback) and prints
    how the figures moved on the dev split and the two test sets, which it never trains on,
    and on the judged items themselves.
    """
    from classifiers.evaluate import (
        DEV_FILE,
        TEST_FILES,
        LabelError,
        evaluate_factors,
        read_labelled,
    )
    from classifiers.heads import load_heads
    from classifiers.tagger import Tagger
    from classifiers.train import DataError, cross_validate, feedback_examples, train_heads

    config = load_or_exit(watchlist, required=False)
    judged: list[dict[str, Any]] = []
    if not no_feedback and config.database.exists():
        from store.feedback import training_rows

        judged = feedback_examples(training_rows(open_store(config)))
    try:
        sets = {path.name: read_labelled(path)[1] for path in (DEV_FILE, *TEST_FILES)}
        if judged:
            sets["judged items (trained on)"] = judged
        with err.status(
            f"Embedding the training data ({len(judged)} judged items from the store) "
            "and fitting the heads…"
        ):
            heads = train_heads(feedback=judged)
    except (LabelError, DataError) as exc:
        err.print(f"[red]{escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    try:
        before = Tagger(WatchList(), heads=load_heads())
    except (FileNotFoundError, ValueError):
        before = None
    after = Tagger(WatchList(), heads=heads)
    table = Table(title=f"Classifier {heads.version}: before → after training")
    for column in ("labelled set", "items", "macro-F1", "false alarms", "sentiment"):
        table.add_column(column, justify="left" if column == "labelled set" else "right")
    for name, examples in sets.items():
        new = evaluate_factors(after, examples)["classifier"]
        old = evaluate_factors(before, examples)["classifier"] if before else None
        if name == DEV_FILE.name:
            heads.metrics["dev"] = {  # provenance: what this artefact scored when it was made
                "examples": len(examples),
                "macro_f1": round(new["macro_f1"], 4),
                "false_alarm_rate": round(new["false_alarm_rate"], 4),
                "sentiment_accuracy": round(new["sentiment_accuracy"], 4),
            }

        def moved(key: str, old: Any = old, new: Any = new, percent: bool = False) -> str:
            shown = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:.3f}")
            return (f"{shown(old[key])} → " if old else "") + shown(new[key])

        table.add_row(name, str(len(examples)), moved("macro_f1"),
                      moved("false_alarm_rate", percent=True),
                      moved("sentiment_accuracy", percent=True))  # fmt: skip
    with err.status("Cross-validating (5 folds)…"):
        cv = cross_validate(feedback=judged)
    heads.metrics["cv"] = {
        "folds": cv["folds"], "examples": cv["examples"],
        "macro_f1": round(cv["macro_f1"], 4),
        "false_alarm_rate": round(cv["false_alarm_rate"], 4),
        "sentiment_accuracy": round(cv["sentiment_accuracy"], 4),
    }  # fmt: skip
    table.add_row(f"{cv['folds']}-fold CV on training", f"{cv['examples']:,}",
                  f"{cv['macro_f1']:.3f}", f"{cv['false_alarm_rate']:.1%}",
                  f"{cv['sentiment_accuracy']:.1%}")  # fmt: skip
    try:
        heads.save(output) if output else heads.save()
    except OSError as exc:
        err.print(f"[red]Not saved: {escape(str(output or 'the artefact'))}: {exc.strerror}")
        raise typer.Exit(2) from None
    folded = f", with {len(judged)} judged items from {config.database}" if judged else ""
    out.print(f"Saved classifier {heads.version} (data sha256 {heads.data_sha256[:12]}…){folded}")
    out.print(table)


def eval_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Labelled JSON Lines: id, title, text, factors, sentiment (or id, text, "
            "councils for attribution). Default: dev, the two test sets, the attribution files."
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
            "often it is still found, and whether the evidence comes from the right paragraph "
            "(a minute or two).",
        ),
    ] = False,
    watchlist: WatchListOption = None,
) -> None:
    """Score the committed classifier and two baselines (keywords, VADER) on labelled data.

    With a watch list, its thresholds, extra terms and council aliases apply, as in tagging.
    """
    from classifiers.evaluate import (
        ATTRIBUTION_FILES,
        DEV_FILE,
        TEST_FILES,
        LabelError,
        evaluate_attribution,
        evaluate_evidence,
        evaluate_factors,
        evaluate_long_items,
        read_labelled,
    )

    config = load_or_exit(watchlist, required=False)
    reports: dict[str, Any] = {}
    tagger = None
    if not files and not as_json:
        _print_cv()
    for path in files or [DEV_FILE, *TEST_FILES, *ATTRIBUTION_FILES]:
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
                report["evidence"] = evaluate_evidence(tagger, examples)
            if not as_json:
                _print_factors(path, report)
        reports[str(path)] = report
    if as_json:
        out.print_json(data=reports)


def _print_cv() -> None:
    """The cross-validation figures `radar train` measured for the committed heads."""
    from classifiers.heads import load_heads

    try:
        cv = load_heads().metrics.get("cv")
    except (FileNotFoundError, ValueError):
        cv = None
    if cv:
        out.print(
            f"{cv['folds']}-fold cross-validation on the {cv['examples']:,} training items "
            f"(measured by `radar train`): macro-F1 {cv['macro_f1']:.2f}, false alarms "
            f"{cv['false_alarm_rate']:.1%}, sentiment {cv['sentiment_accuracy']:.1%}"
        )


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
    evidence = report.get("evidence")
    if evidence:
        out.print(
            f"Evidence: in {evidence['items']} items (one adverse paragraph among routine ones, "
            f"or two with different factors) {evidence['found']:.1%} of the factors found, "
            f"and the evidence sentence came from the right paragraph for "
            f"{evidence['evidence_right']:.1%} of them"
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
