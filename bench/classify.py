"""Benchmark: classification speed, end to end and against the bare embedding forward pass.

Run with `.venv/bin/python bench/classify.py [--threads N] [--news-only]`; prints figures,
asserts nothing.

Two workloads, built from the labelled snippets in `classifiers/data/` so the text reads like
council news (a quarter of items carry one adverse paragraph): 300-word news items, and
20-page minutes (about 500 words a page, with page offsets as the PDF extractor records
them). For each it prints items/s for

* `tagger`: `Tagger.tag_many`, everything an item goes through in `radar tag`: sentence
  splitting, embedding, the heads, the rules, evidence, sentiment and council attribution;
* `bare 256`: the model's forward pass alone, one pass per item truncated at 256 tokens
  (the usual reference figure, which does not read the rest of a long item);
* `bare same`: the forward pass alone over exactly the passages the tagger embeds, so the
  ratio tagger / bare-same is the overhead of everything that is not the transformer.
"""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.embed import Embedder, cpu_has_bf16  # noqa: E402
from classifiers.tagger import Tagger, passages_of  # noqa: E402
from domain.config import WatchList  # noqa: E402

DATA = ROOT / "classifiers" / "data"
# Most of what councils publish is routine: a quarter of news items (and of minutes pages)
# carry one adverse paragraph, about what the demo web and a day's real crawl look like.
ADVERSE_SHARE = 0.25


def snippets() -> tuple[list[str], list[str]]:
    """(routine snippets, adverse snippets) from the labelled data."""
    routine, adverse = [], []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if "factors" in record:
                (adverse if record["factors"] else routine).append(record["text"])
    return routine, adverse


def compose(rng: random.Random, pools: tuple[list[str], list[str]], words: int) -> str:
    """Routine text with, in ADVERSE_SHARE of items, one adverse snippet somewhere in it."""
    routine, adverse = pools
    out: list[str] = []
    while sum(len(t.split()) for t in out) < words:
        out.append(rng.choice(routine))
    if rng.random() < ADVERSE_SHARE:
        out[rng.randrange(len(out))] = rng.choice(adverse)
    return " ".join(out)


def news_items(count: int, rng: random.Random, pools: tuple[list[str], list[str]]) -> list[dict]:
    return [
        {"id": f"n{i}", "title": f"Council news {i}", "text": compose(rng, pools, 300)}
        for i in range(count)
    ]


def minutes_items(
    count: int, rng: random.Random, pools: tuple[list[str], list[str]], pages: int = 20
) -> list[dict]:
    items = []
    for i in range(count):
        text, offsets = "", []
        for _ in range(pages):
            offsets.append(len(text))
            text += compose(rng, pools, 500) + "\n\n"
        items.append(
            {"id": f"m{i}", "title": "Minutes of Cabinet", "text": text, "page_offsets": offsets}
        )
    return items


def timed(label: str, count: int, words: int, run, repeats: int = 3) -> float:
    """Best of `repeats` runs: a shared 2-core machine adds noise, never speed."""
    elapsed = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        elapsed = min(elapsed, time.perf_counter() - started)
    print(f"  {label:<10} {count / elapsed:8.2f} items/s  ({words / elapsed:,.0f} words/s)")
    return count / elapsed


def bench(name: str, items: list[dict], tagger: Tagger) -> None:
    embedder = tagger.embedder
    words = sum(len(item["text"].split()) for item in items)
    print(f"{name}: {len(items)} items, {words // len(items)} words each")
    list(tagger.tag_many(items[:2]))  # warm up
    end_to_end = timed("tagger", len(items), words, lambda: list(tagger.tag_many(items)))
    whole = [f"{item['title']}\n{item['text']}" for item in items]
    bare_256 = timed("bare 256", len(items), words, lambda: embedder.embed(whole, max_tokens=256))
    passages = [p.text for item in items for p in passages_of(item)]
    bare_same = timed("bare same", len(items), words, lambda: embedder.embed(passages))
    flagged = sum(bool(r["labels"]) for r in tagger.tag_many(items))
    print(f"  flagged: {flagged} of {len(items)} items")
    print(f"  tagger / bare 256 = {end_to_end / bare_256:.2f}")
    print(f"  tagger / bare same = {end_to_end / bare_same:.2f}")


def cpu() -> str:
    """The CPU and the features that decide the embedder's speed."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return "unknown CPU"
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                  if line.startswith("model name")), "unknown CPU")  # fmt: skip
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines()
                      if line.startswith("flags")), []))  # fmt: skip
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")
    features = [f for f in wanted if f in flags]
    return f"{model}; {os.cpu_count()} cores; {', '.join(features) or 'no AVX2'}"


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads",
        type=int,
        help="torch threads (default: the embedder's, at most 2); 1 against 2 shows how "
        "tagging scales with cores, for the README's capacity statement",
    )
    parser.add_argument("--news-only", action="store_true", help="skip the 20-page minutes")
    args = parser.parse_args()
    print(f"CPU: {cpu()}")
    precisions = ("bf16", "fp32") if cpu_has_bf16() else ("fp32",)
    for precision in precisions:
        rng = random.Random(7)
        pool = snippets()
        embedder = Embedder(
            precision="auto" if precision == "bf16" else "fp32", threads=args.threads
        )
        tagger = Tagger(WatchList(), embedder=embedder)
        print(f"\n== embedding precision: {embedder.precision} (asked: {precision}); "
              f"torch threads: {embedder.threads}")  # fmt: skip
        bench("300-word news items", news_items(200, rng, pool), tagger)
        if not args.news_only:
            bench("20-page minutes", minutes_items(4, rng, pool), tagger)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")
