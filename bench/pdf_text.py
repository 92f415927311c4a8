"""Benchmark: PDF text extraction, quality and speed, on the same PDFs for every candidate.

Run with `.venv/bin/python bench/pdf_text.py`; prints figures, asserts nothing. (pdfminer.six
is only a candidate here: `pip install pdfminer.six` to include it; it is skipped otherwise.)

The set:

* `ordinary`: the demo web's 31 minutes, agendas and reports as served: 29 as reportlab lays
  out a paragraph (one string per line), 2 in Word's way;
* `word-style`: the same 31 texts laid out as Microsoft Word exports them, every word and
  every space its own text-showing operation (`demo.make_pdfs.word_style_pdf`);
* `real Word`: Word-exported PDFs from public repositories (`tests/files/pdf/`, sources in
  `tests/files/SOURCES.md`), for line shape only: there is no source text to compare with.

For each candidate it prints, against the source text where there is one: words in order
(the share of the source's words found in sequence, difflib), words glued together (an
extracted token that is two source words run into one), lines of one word, words per line,
paragraph breaks kept (a blank line where the source has one; for all documents, and for
prose alone: agendas' one-line items are lines either way), and pages per second of one
core's CPU time (best of three).
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.make_pdfs import MAPPING, PAGE_BREAK, SITE, SRC, blocks, word_style_pdf  # noqa: E402
from pipelines.documents import pdf_pages  # noqa: E402

REAL = ROOT / "tests" / "files" / "pdf"


def pypdf_default(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def pypdf_layout(data: bytes) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]


def pypdfium2_plain(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    texts = []
    for page in document:
        textpage = page.get_textpage()
        texts.append(textpage.get_text_range().replace("\r\n", "\n"))
        textpage.close()
        page.close()
    document.close()
    return texts


def pdfminer_six(data: bytes) -> list[str]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    pages = []
    for layout in extract_pages(io.BytesIO(data)):
        boxes = [box.get_text().strip() for box in layout if isinstance(box, LTTextContainer)]
        pages.append("\n\n".join(boxes))
    return pages


def chosen(data: bytes) -> list[str]:
    """What the crawl stores: pypdfium2's lines with paragraph breaks from line spacing."""
    return pdf_pages(data, 2_000)[0]


CANDIDATES: dict[str, Callable[[bytes], list[str]]] = {
    "pypdf default": pypdf_default,
    "pypdf layout": pypdf_layout,
    "pypdfium2": pypdfium2_plain,
    "pdfminer.six": pdfminer_six,
    "chosen (pypdfium2 + paragraphs)": chosen,
}


def source_sets() -> dict[str, list[tuple[bytes, str | None, bool]]]:
    """(PDF bytes, source text or None, is prose) for each set. Agendas are lists of
    one-line items, not prose: each item is its own line whether or not a blank line
    separates it, so their paragraph breaks are counted apart."""
    ordinary, word = [], []
    for slug, name, out in MAPPING:
        text = (SRC / slug / name).read_text(encoding="utf-8")
        prose = "agenda" not in name
        ordinary.append(((SITE / slug / out).read_bytes(), text, prose))
        word.append((word_style_pdf(text), text, prose))
    real = [(path.read_bytes(), None, True) for path in sorted(REAL.glob("*.pdf"))]
    return {"ordinary": ordinary, "word-style": word, "real Word": real}


def source_paragraphs(text: str) -> list[str]:
    title, found = blocks(text)
    return [title] + [b.removeprefix("## ") for b in found if b != PAGE_BREAK]


def quality(pages: list[str], source: str | None) -> dict[str, float]:
    text = "\n\n".join(pages)
    lines = [line for line in text.splitlines() if line.strip()]
    words_per_line = [len(line.split()) for line in lines]
    figures = {
        "one-word lines": sum(n <= 1 for n in words_per_line) / max(len(lines), 1),
        "words/line": statistics.mean(words_per_line) if lines else 0.0,
    }
    if source is None:
        return figures
    paragraphs = source_paragraphs(source)
    truth = " ".join(paragraphs).split()
    got = text.split()
    matcher = SequenceMatcher(None, truth, got, autojunk=False)
    figures["words in order"] = sum(b.size for b in matcher.get_matching_blocks()) / len(truth)
    pairs = {a + b for a, b in zip(truth, truth[1:], strict=False)}
    figures["glued words"] = sum(token in pairs for token in got) / len(truth)
    # a paragraph break is kept when the paragraph's first words start a line after a blank
    blanks = {" ".join(chunk.split()[:4]) for chunk in text.split("\n\n")}
    kept = [" ".join(p.split()[:4]) in blanks for p in paragraphs[1:]]
    figures["paragraph breaks kept"] = sum(kept) / max(len(kept), 1)
    return figures


def pages_per_second(extract: Callable[[bytes], list[str]], pdfs: list[bytes]) -> float:
    best = float("inf")
    pages = 0
    for _ in range(3):
        start = time.process_time()
        pages = sum(len(extract(data)) for data in pdfs)
        best = min(best, time.process_time() - start)
    return pages / best if best else float("inf")


def shown(mean: dict[str, float], key: str, percent: bool = True) -> str:
    if key not in mean:
        return "-"
    return f"{mean[key]:.1%}" if percent else f"{mean[key]:.1f}"


def main() -> None:
    sets = source_sets()
    for set_name, documents in sets.items():
        pdfs = [data for data, _, _ in documents]
        print(f"\n{set_name}: {len(documents)} PDFs")
        header = ("candidate", "in order", "glued", "1-word lines", "words/line", "paras",
                  "prose", "pages/s")  # fmt: skip
        print("  {:<34}{:>9}{:>8}{:>13}{:>11}{:>7}{:>7}{:>9}".format(*header))
        for name, extract in CANDIDATES.items():
            try:
                results = [quality(extract(data), source) for data, source, _ in documents]
            except ImportError:
                print(f"  {name:<34}(not installed)")
                continue
            mean = {key: statistics.mean(r[key] for r in results) for key in results[0]}
            prose = [r for r, (_, _, is_prose) in zip(results, documents, strict=True) if is_prose]
            if "paragraph breaks kept" in mean:
                breaks = statistics.mean(r["paragraph breaks kept"] for r in prose)
                mean["prose paragraph breaks kept"] = breaks
            speed = pages_per_second(extract, pdfs)
            print(
                f"  {name:<34}{shown(mean, 'words in order'):>9}{shown(mean, 'glued words'):>8}"
                f"{shown(mean, 'one-word lines'):>13}{shown(mean, 'words/line', False):>11}"
                f"{shown(mean, 'paragraph breaks kept'):>7}"
                f"{shown(mean, 'prose paragraph breaks kept'):>7}{speed:>9.0f}"
            )


if __name__ == "__main__":
    main()
