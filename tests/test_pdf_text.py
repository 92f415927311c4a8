"""PDF text as people read it: lines of words and paragraphs, each on its own page.

Many councils publish minutes and reports exported from Microsoft Word, where every word and
every space is its own text-showing operation; pypdf's default extraction reads such a file
one word per line, which broke passages, evidence sentences, snippets and search. These
tests read Word-style PDFs (`demo.make_pdfs.word_style_pdf`) and real Word-exported PDFs
from public repositories (`tests/files/pdf/`, sources in `tests/files/SOURCES.md`)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from demo.make_pdfs import word_style_pdf
from pipelines.documents import extract_pdf

FILES = Path(__file__).resolve().parent / "files" / "pdf"
MINUTES = """Hollinsford Borough Council: minutes of the Audit Committee
Present: Councillors Ashcombe (Chair), Hollowell and Yardley.

## 12. External audit

12.1 The external auditor reported that the accounts for 2023/24 remain unaudited and that \
significant weaknesses in the Council's arrangements for financial sustainability had been \
identified, with a recommendation under section 24 of the Local Audit and Accountability Act.

12.2 Members asked when the backlog would be cleared. The section 151 officer said that the \
audit of 2024/25 could not begin until the earlier accounts had been signed.

---page---

## 13. Treasury management

13.1 Borrowing stands at £312m, of which £140m financed the commercial property portfolio. \
The committee noted that rental income has fallen short of the debt costs for a second year.

13.2 RESOLVED that the report be noted.
"""


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_pypdf_default_reads_a_word_style_pdf_one_word_per_line():
    """The failure this guards against, shown on the fixture itself: if this stops holding,
    the fixture no longer has Word's shape and the tests below prove nothing."""
    page = PdfReader(io.BytesIO(word_style_pdf(MINUTES))).pages[0]
    lines = lines_of(page.extract_text())
    assert sum(len(line.split()) <= 1 for line in lines) / len(lines) > 0.9


def test_a_word_style_pdf_is_read_as_lines_of_words():
    document = extract_pdf(word_style_pdf(MINUTES), "https://c.example.org/minutes.pdf")
    lines = lines_of(document.pages[0])
    assert sum(len(line.split()) for line in lines) / len(lines) > 6
    assert sum(len(line.split()) == 1 for line in lines) <= 1  # the page number's line at most
    assert "the accounts for 2023/24 remain unaudited and that" in document.pages[0]


def test_a_word_style_pdf_keeps_its_pages_and_paragraphs():
    document = extract_pdf(word_style_pdf(MINUTES), "https://c.example.org/minutes.pdf")
    first, second = document.pages
    assert "External audit" in first and "Treasury management" not in first
    assert "commercial property portfolio" in second and "unaudited" not in second
    assert "Page 1" in first and "Page 2" in second, "each page's own footer"
    paragraphs = first.split("\n\n")
    assert any(p.startswith("12.2 Members asked when the backlog") for p in paragraphs)
    assert any(p.startswith("12. External audit") for p in paragraphs)
    # a wrapped paragraph is one paragraph: its lines are not split apart
    [audit] = [p for p in paragraphs if p.startswith("12.1")]
    assert "unaudited" in audit and "section 24" in audit


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Word for Microsoft 365, a tagged PDF, nearly every word its own operation
        (
            "pdfplumber__word365_structure.pdf",
            ["Titre", "Lorem ipsum dolor", "• Liste", "• Liste 2", "• Liste 3",
             "Lorem ipsum dolor sit amet", "1. Liste numérotée", "2. Liste numérotée",
             "En-tête 1 En-tête 2 En-tête 3", "Ligne 1 Alouette Farfadet",
             "Linge 2 Belette Bibitte"],
        ),  # fmt: skip
        ("pdfminer__issue-449-horizontal.pdf", ["Test", "Horizontal", "Layout"]),
    ],
)
def test_real_word_exported_pdfs_read_line_by_line(name, expected):
    document = extract_pdf((FILES / name).read_bytes(), f"https://example.org/{name}")
    assert lines_of(document.pages[0]) == expected
