"""Hostile documents on the real web: bombs, huge and broken PDFs and Word files never stop a
crawl, never take its memory past a bound, and each leaves a stored item saying why it has
no text, while the good documents next to them are read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import RADAR, rows
from docweb import (
    DOCX_TYPE,
    PDF_TYPE,
    DocWeb,
    flate_bomb_pdf,
    image_only_pdf,
    many_pages_pdf,
    minutes_pdf,
    overlap_docx,
    page_bombs_pdf,
    paragraph_bomb_docx,
    protected_pdf,
    size_lie_docx,
    slow_page_pdf,
    word_document,
    xref_bomb_pdf,
)
from faultweb import encrypted_pdf, pdf_with_text

from pipelines.documents import DocumentReader, ExtractionError, ReadingLimits

# End to end (real crawls, processes, the scheduler's slots): `pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow

# wait4's peak is the larger of the crawl process's and its document worker's, and the
# worker is capped at 1 GiB of address space. Measured: a normal crawl of the same feed
# shape 134 MiB, the hostile one 1,006 MiB (the worker at its cap); before the worker, the
# hostile crawl reached 5,324 MiB.
MEMORY_BOUND_MIB = 1536

# path -> (how to make it, content type); made when the crawl fixture runs
HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "/docs/flate-bomb.pdf": (flate_bomb_pdf, PDF_TYPE),  # 1 GiB behind 3 MB
    "/docs/page-bombs.pdf": (page_bombs_pdf, PDF_TYPE),  # 60 pages x 70 MB behind 4 MB
    "/docs/pages-100000.pdf": (many_pages_pdf, PDF_TYPE),
    "/docs/xref-bomb.pdf": (xref_bomb_pdf, PDF_TYPE),
    "/docs/image-only.pdf": (image_only_pdf, PDF_TYPE),
    "/docs/encrypted.pdf": (encrypted_pdf, PDF_TYPE),
    "/docs/truncated.pdf": (lambda: minutes_pdf(3)[:1500], PDF_TYPE),
    "/docs/garbage.pdf": (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 64, PDF_TYPE),
    "/docs/size-lie.docx": (size_lie_docx, DOCX_TYPE),  # says 1 KB, inflates to 1 GiB
    "/docs/overlap.docx": (overlap_docx, DOCX_TYPE),  # 2,000 records on one 10 MB entry
    "/docs/paragraph-bomb.docx": (paragraph_bomb_docx, DOCX_TYPE),
    "/docs/good.pdf": (lambda: pdf_with_text("The Council approved the budget."), PDF_TYPE),
    "/docs/protected.pdf": (lambda: protected_pdf("Cabinet agreed the savings plan."), PDF_TYPE),
    "/docs/good.docx": (
        lambda: word_document("The Council failed to set a lawful budget."),
        DOCX_TYPE,
    ),
}
NORMAL: dict[str, tuple[Callable[[], bytes], str]] = {
    "/normal/minutes-5.pdf": (lambda: minutes_pdf(5, "Kelderby"), PDF_TYPE),
    "/normal/minutes-20.pdf": (lambda: minutes_pdf(20, "Brackenfold"), PDF_TYPE),
    "/normal/minutes-50.pdf": (lambda: minutes_pdf(50, "Sallowmere"), PDF_TYPE),
    "/normal/report.docx": (
        lambda: word_document("The report was noted by the committee."),
        DOCX_TYPE,
    ),
    "/normal/decision.pdf": (
        lambda: pdf_with_text("The decision was made by the leader."),
        PDF_TYPE,
    ),
}


# Runs a command and writes [exit code, the command's peak RSS in KiB] to argv[1]. Linux
# starts a child's ru_maxrss at its parent's RSS when it was spawned, so the crawl is spawned
# from this small process rather than from pytest, whose RSS would otherwise be the figure.
MEASURE = """
import json, os, subprocess, sys, threading
process = subprocess.Popen(sys.argv[2:])
watchdog = threading.Timer(600, process.kill)
watchdog.start()
_, status, usage = os.wait4(process.pid, 0)
watchdog.cancel()
with open(sys.argv[1], "w") as result:
    json.dump([os.waitstatus_to_exitcode(status), usage.ru_maxrss], result)
"""


def crawl_measured(folder: Path, feed_url: str) -> dict:
    """`radar crawl` of one feed as a child process, with that child's own peak RSS (from
    wait4: the crawl's, and the document worker's it reaps; nothing else of pytest's)."""
    watchlist = folder / "watchlist.yaml"
    watchlist.write_text(
        yaml.safe_dump(
            {
                "database": str(folder / "radar.db"),
                "output_dir": str(folder),
                "crawl": {"allow_private": ["127.0.0.1"], "autothrottle": False},
                "sources": [{"kind": "feed", "origin": "media", "name": "docs", "url": feed_url}],
            }
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"}
    measured = folder / "measured.json"
    command = [*RADAR, "crawl", "--watchlist", str(watchlist)]
    launch = [sys.executable, "-c", MEASURE, str(measured), *command]
    run = subprocess.run(launch, capture_output=True, text=True, env=env, timeout=660)
    returncode, peak_kib = json.loads(measured.read_text())
    return {
        "db": folder / "radar.db",
        "returncode": returncode,
        "stderr": run.stderr,
        "peak_mib": peak_kib / 1024,  # ru_maxrss is in KiB on Linux
    }


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    feeds = {"hostile": list(HOSTILE), "normal": list(NORMAL)}
    documents = {path: (make(), kind) for path, (make, kind) in {**HOSTILE, **NORMAL}.items()}
    with DocWeb(documents, feeds) as web:
        normal = crawl_measured(
            tmp_path_factory.mktemp("normal"), f"{web.base_url}/feeds/normal.xml"
        )
        hostile = crawl_measured(
            tmp_path_factory.mktemp("hostile"), f"{web.base_url}/feeds/hostile.xml"
        )
        print(f"\npeak RSS: normal crawl {normal['peak_mib']:.0f} MiB, "
              f"hostile crawl {hostile['peak_mib']:.0f} MiB")  # fmt: skip
        yield {"normal": normal, "hostile": hostile, "hits": dict(web.hits)}


def stored(crawl: dict, path: str) -> dict:
    [row] = rows(crawl["db"], "select * from items where url like ?", [f"%{path}"])
    return {**row, "meta": json.loads(row["meta"] or "{}")}


def test_crawl_of_hostile_documents_finishes_and_stores_every_one(crawls):
    hostile = crawls["hostile"]
    assert hostile["returncode"] == 0, hostile["stderr"]
    assert all(crawls["hits"][path] == 1 for path in HOSTILE), "each fetched once, none retried"
    for path in HOSTILE:
        stored(hostile, path)
    [source] = rows(hostile["db"], "select * from sources")
    assert source["last_error"] is None and source["consecutive_failures"] == 0


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        # PDFium inflates the 1 GiB stream until the worker's memory cap stops it
        ("/docs/flate-bomb.pdf", "reading needs over 1,024 MiB of memory; stopped"),
        # 60 pages of blanks, 70 MB each: read one page at a time, each freed before the next
        ("/docs/page-bombs.pdf", "PDF has no text layer (60 pages; a scan?)"),
        ("/docs/image-only.pdf", "PDF has no text layer (1 page; a scan?)"),
        ("/docs/encrypted.pdf", "PDF is encrypted"),
        ("/docs/truncated.pdf", "unreadable PDF"),
        ("/docs/garbage.pdf", "unreadable PDF"),
        ("/docs/size-lie.docx", "parts do not match their stated sizes"),
        ("/docs/overlap.docx", "document unpacks to 20,972,346,200 bytes; refused"),
        ("/docs/paragraph-bomb.docx", "reading needs over 1,024 MiB of memory"),
    ],
)
def test_each_hostile_document_is_kept_with_the_reason_it_has_no_text(crawls, path, reason):
    item = stored(crawls["hostile"], path)
    assert reason in item["meta"]["extract_error"]
    assert item["summary_only"] == 1
    assert item["text"].startswith("Summary of"), "the feed's summary stands in for the text"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/docs/good.pdf", "approved the budget"),
        ("/docs/protected.pdf", "agreed the savings plan"),  # opens without a password
        ("/docs/good.docx", "lawful budget"),
        ("/docs/xref-bomb.pdf", "Cross-reference stream minutes"),  # claims 2 billion objects
    ],
)
def test_good_documents_next_to_hostile_ones_are_read(crawls, path, words):
    item = stored(crawls["hostile"], path)
    assert words in item["text"]
    assert item["summary_only"] == 0 and "extract_error" not in item["meta"]


def test_a_100000_page_pdf_is_read_up_to_the_page_cap_and_says_so(crawls):
    item = stored(crawls["hostile"], "/docs/pages-100000.pdf")
    assert item["meta"]["extract_note"] == "PDF has 100,000 pages; read the first 2,000"
    assert len(json.loads(item["page_offsets"])) == 2_000
    assert item["text"].startswith("Minute: the committee noted the report.")


def test_peak_memory_stays_bounded(crawls):
    normal, hostile = crawls["normal"], crawls["hostile"]
    assert normal["returncode"] == 0, normal["stderr"]
    assert len(rows(normal["db"], "select id from items where summary_only = 0")) == len(NORMAL)
    assert hostile["peak_mib"] < MEMORY_BOUND_MIB
    assert normal["peak_mib"] < MEMORY_BOUND_MIB


@pytest.fixture
def good_pdf() -> bytes:
    return pdf_with_text("The committee agreed the minutes.")


def test_a_document_over_its_cpu_budget_keeps_the_pages_read_before(good_pdf):
    reader = DocumentReader(ReadingLimits(cpu_seconds=1))
    try:
        document = reader.read("pdf", slow_page_pdf(), "https://c.example.org/slow.pdf")
        assert document.pages == ["Page one: the minutes were agreed."]
        assert document.note == "reading took over 1 s of CPU time; stopped at page 2 of 3"
        assert reader.read("pdf", good_pdf, "https://c.example.org/next.pdf").pages
    finally:
        reader.close()


def test_a_worker_that_stops_answering_is_killed_and_replaced(good_pdf):
    reader = DocumentReader(ReadingLimits(cpu_seconds=60, wall_seconds=1.5))
    try:
        reader.read("pdf", good_pdf, "https://c.example.org/first.pdf")  # the worker is up
        with pytest.raises(ExtractionError, match=r"reading took over 1\.5 s; stopped"):
            reader.read("pdf", slow_page_pdf(), "https://c.example.org/slow.pdf")
        document = reader.read("pdf", good_pdf, "https://c.example.org/next.pdf")
        assert document.pages == ["The committee agreed the minutes."]
    finally:
        reader.close()


@pytest.mark.parametrize(
    ("path", "again"),
    [
        ("/docs/flate-bomb.pdf", False),  # over the reading limits: final
        ("/docs/paragraph-bomb.docx", False),
        ("/docs/overlap.docx", False),
        ("/docs/size-lie.docx", False),
        ("/docs/page-bombs.pdf", False),  # no text layer: a scan, final
        ("/docs/image-only.pdf", False),
        ("/docs/encrypted.pdf", False),
        ("/docs/truncated.pdf", True),  # a damaged download may come whole next time
        ("/docs/garbage.pdf", True),
    ],
)
def test_only_a_damaged_download_is_fetched_again(crawls, path, again):
    """README: a document over the reading limits, encrypted or without a text layer is
    final; only a damaged download is worth asking for again (`fetch_failures` counts it)."""
    item = stored(crawls["hostile"], path)
    assert (item["fetch_failures"] is not None) == again, (path, item["meta"])
