#!/usr/bin/env python3
"""Generate the demo ModernGov document PDFs from plain-text sources.

Source format (demo/pdf_src/<slug>/<name>.txt):
  * first line  = document title
  * paragraphs are separated by blank lines
  * a paragraph starting with "## " is rendered as a heading
  * a line "---page---" forces a page break

Output is deterministic (reportlab invariant mode) so re-running the script
produces byte-identical files. Usage: .venv/bin/python demo/make_pdfs.py
"""

import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

DEMO = Path(__file__).resolve().parent
SRC = DEMO / "pdf_src"
SITE = DEMO / "site"

COUNCILS = {
    "kelderby": "Kelderby Metropolitan Borough Council",
    "brackenfold": "Brackenfold District Council",
    "sallowmere": "Sallowmere Council",
    "hollinsford": "Hollinsford Borough Council",
}

# (slug, source file name in pdf_src/<slug>/, output path under site/<slug>/)
MAPPING = [
    # Kelderby: Cabinet 130 (MId 2001 this week, 2002 old); Council 131 (2003 this week, 2004 old)
    ("kelderby", "g2001_agenda.txt", "democracy/documents/g2001/Agenda frontsheet Cabinet.pdf"),
    ("kelderby", "g2001_minutes.txt", "democracy/documents/g2001/Printed minutes Cabinet.pdf"),
    (
        "kelderby",
        "s5001_report.txt",
        "democracy/documents/s5001/Commercial Property Investment Strategy.pdf",
    ),
    ("kelderby", "g2002_agenda.txt", "democracy/documents/g2002/Agenda frontsheet Cabinet.pdf"),
    ("kelderby", "g2002_minutes.txt", "democracy/documents/g2002/Printed minutes Cabinet.pdf"),
    ("kelderby", "g2003_agenda.txt", "democracy/documents/g2003/Agenda frontsheet Council.pdf"),
    ("kelderby", "g2004_agenda.txt", "democracy/documents/g2004/Agenda frontsheet Council.pdf"),
    # Kelderby Overview and Scrutiny Committee 132 (MId 2005 this week): only on the calendar
    (
        "kelderby",
        "g2005_minutes.txt",
        "democracy/documents/g2005/Printed minutes Overview and Scrutiny Committee.pdf",
    ),
    # Brackenfold: Council 230 (3001 this week, 3002 old);
    # Audit and Governance 231 (3003 this week, 3004 old)
    ("brackenfold", "g3001_agenda.txt", "democracy/documents/g3001/Agenda frontsheet Council.pdf"),
    ("brackenfold", "g3002_agenda.txt", "democracy/documents/g3002/Agenda frontsheet Council.pdf"),
    ("brackenfold", "g3002_minutes.txt", "democracy/documents/g3002/Printed minutes Council.pdf"),
    (
        "brackenfold",
        "g3003_agenda.txt",
        "democracy/documents/g3003/Agenda frontsheet Audit and Governance Committee.pdf",
    ),
    (
        "brackenfold",
        "g3003_minutes.txt",
        "democracy/documents/g3003/Printed minutes Audit and Governance Committee.pdf",
    ),
    (
        "brackenfold",
        "s6001_report.txt",
        "democracy/documents/s6001/Draft Annual Governance Statement.pdf",
    ),
    (
        "brackenfold",
        "g3004_agenda.txt",
        "democracy/documents/g3004/Agenda frontsheet Audit and Governance Committee.pdf",
    ),
    (
        "brackenfold",
        "g3004_minutes.txt",
        "democracy/documents/g3004/Printed minutes Audit and Governance Committee.pdf",
    ),
    # Sallowmere: Cabinet 330 (4001 this week, 4002 old); Council 331 (4003 this week, 4004 old)
    ("sallowmere", "g4001_agenda.txt", "democracy/documents/g4001/Agenda frontsheet Cabinet.pdf"),
    ("sallowmere", "g4002_agenda.txt", "democracy/documents/g4002/Agenda frontsheet Cabinet.pdf"),
    ("sallowmere", "g4002_minutes.txt", "democracy/documents/g4002/Printed minutes Cabinet.pdf"),
    ("sallowmere", "g4003_agenda.txt", "democracy/documents/g4003/Agenda frontsheet Council.pdf"),
    ("sallowmere", "g4003_minutes.txt", "democracy/documents/g4003/Printed minutes Council.pdf"),
    (
        "sallowmere",
        "s7001_report.txt",
        "democracy/documents/s7001/Report of the Chief Finance Officer under section 114.pdf",
    ),
    ("sallowmere", "g4004_agenda.txt", "democracy/documents/g4004/Agenda frontsheet Council.pdf"),
    ("sallowmere", "g4004_minutes.txt", "democracy/documents/g4004/Printed minutes Council.pdf"),
    # Hollinsford (CMIS, not ModernGov): documents live at cmis5/Document.ashx@<query>.
    # Council 3: Meeting 5101 (this week), 5102 (old);
    # Cabinet 4: Meeting 5103 (this week), 5104 (old). The report and 5104's minutes are
    # laid out as Word exports them (WORD_STYLE).
    (
        "hollinsford",
        "m5101_agenda.txt",
        "cmis5/Document.ashx@czJKcaeAi5tUFL1DTL2UE4zNRBcoShgo=0lR8acRYSi4MDF8kWCBX1KpeZUaLJ4d8jOCs4bWYTI6wLqeeHq1PkCJV",
    ),
    (
        "hollinsford",
        "m5101_minutes.txt",
        "cmis5/Document.ashx@czJKcaeAi5tUFL1DTL2UE4zNRBcoShgo=uoYqLRqrxZKiGvbtcj7bsHXDYzEzVMGPBnu3mY2lhm12FPzmV4eAk5M7",
    ),
    (
        "hollinsford",
        "r6001_report.txt",
        "cmis5/Document.ashx@czJKcaeAi5tUFL1DTL2UE4zNRBcoShgo=ByFgDcEW7AKW3gc3FnJxFkQjVDZRucq2zyw8GOuLfafi1JrpRWBJG9en",
    ),
    (
        "hollinsford",
        "m5102_minutes.txt",
        "cmis5/Document.ashx@czJKcaeAi5tUFL1DTL2UE4zNRBcoShgo=cC4davDsREymZzoU8nDX7rnx5xrbw0aRFvKyQQbV4iOmSpnXJzjdO9Kn",
    ),
    (
        "hollinsford",
        "m5103_agenda.txt",
        "cmis5/Document.ashx@czJKcaeAi5tUFL1DTL2UE4zNRBcoShgo=UcOwcOBExM3tnY4WftHKrmUeUKjuZSibyToBcCcRtIiGKrzBYXHolHYa",
    ),
    (
        "hollinsford",
        "m5103_minutes.txt",
        "cmis5/Document.ashx@czJKcaeAi5tUFL1DTL2UE4zNRBcoShgo=13il3C31U0lVvwvH70052LQmspJLc0DTFuvEVViv3FQdGLtPTT1VWe55",
    ),
    (
        "hollinsford",
        "m5104_minutes.txt",
        "cmis5/Document.ashx@czJKcaeAi5tUFL1DTL2UE4zNRBcoShgo=Wq7tHm2RkVd9NcYp3LsXb8ZfJe4GuAo6Pi1TnKw5MyQhDrE0vCzU",
    ),
]
WORD_STYLE = {("hollinsford", "r6001_report.txt"), ("hollinsford", "m5104_minutes.txt")}

_styles = getSampleStyleSheet()
TITLE = ParagraphStyle(
    "T", parent=_styles["Title"], fontName="Helvetica-Bold", fontSize=15, leading=19
)
HEAD = ParagraphStyle(
    "H",
    parent=_styles["Heading3"],
    fontName="Helvetica-Bold",
    fontSize=11,
    leading=14,
    spaceBefore=8,
    spaceAfter=4,
)
BODY = ParagraphStyle(
    "B", parent=_styles["BodyText"], fontName="Helvetica", fontSize=10, leading=13.5, spaceAfter=6
)


PAGE_BREAK = "---page---"


def blocks(text):
    """(title, blocks) of a source text: each block a paragraph, a "## " heading or
    PAGE_BREAK."""
    lines = text.splitlines()
    title, found, para = lines[0].strip(), [], []

    def flush():
        if para:
            found.append(" ".join(s.strip() for s in para))
            para.clear()

    for line in lines[1:]:
        if line.strip() == PAGE_BREAK:
            flush()
            found.append(PAGE_BREAK)
        elif not line.strip():
            flush()
        else:
            para.append(line)
    flush()
    return title, found


def parse(path):
    title, found = blocks(path.read_text(encoding="utf-8"))
    story = [Paragraph(escape(title), TITLE), Spacer(1, 4 * mm)]
    for block in found:
        if block == PAGE_BREAK:
            story.append(PageBreak())
        elif block.startswith("## "):
            story.append(Paragraph(escape(block[3:]), HEAD))
        else:
            story.append(Paragraph(escape(block), BODY))
    return title, story


def word_style_pdf(text, council="Hollinsford Borough Council"):
    """A PDF laid out the way Microsoft Word exports one: every word and every space is its
    own text-showing operation at its own position (reportlab's drawString, which also moves
    to a new text line after each). pypdf's default extraction reads such a file one word
    per line, which is what many real council minutes and reports are. `text` is in the
    pdf_src format (title line, blank-line paragraphs, "## " headings, ---page---)."""
    title, found = blocks(text)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    page.setTitle(title)
    page.setAuthor(council)
    page.setCreator("Microsoft Word (as the demo imitates it)")
    left, right, top, bottom = 25 * mm, A4[0] - 25 * mm, A4[1] - 25 * mm, 25 * mm
    number, y = 1, top

    def footer():
        page.setFont("Helvetica", 8)
        for x, word in _words_at(council, left, "Helvetica", 8):
            page.drawString(x, 12 * mm, word)
        label = f"Page {number}"
        x0 = right - stringWidth(label, "Helvetica", 8)
        for x, word in _words_at(label, x0, "Helvetica", 8):
            page.drawString(x, 12 * mm, word)

    def new_page():
        nonlocal number, y
        footer()
        page.showPage()
        number, y = number + 1, top

    def paragraph(words, font, size, leading, after):
        nonlocal y
        line, width = [], 0.0
        lines = []
        for word in words.split():
            w = stringWidth(word, font, size)
            space = stringWidth(" ", font, size) if line else 0.0
            if line and width + space + w > right - left:
                lines.append(" ".join(line))
                line, width, space = [], 0.0, 0.0
            line.append(word)
            width += space + w
        if line:
            lines.append(" ".join(line))
        for text_line in lines:
            if y < bottom + leading:
                new_page()
            page.setFont(font, size)
            for x, word in _words_at(text_line, left, font, size):
                page.drawString(x, y, word)
            y -= leading
        y -= after

    paragraph(title, "Helvetica-Bold", 15, 19, 10)
    for block in found:
        if block == PAGE_BREAK:
            new_page()
        elif block.startswith("## "):
            paragraph(block[3:], "Helvetica-Bold", 11, 14, 4)
        else:
            paragraph(block, "Helvetica", 10, 13.5, 6)
    footer()
    page.showPage()
    page.save()
    return buffer.getvalue()


def _words_at(line, x, font, size):
    """(x, piece) for each word and each space of a line, as Word positions its runs."""
    for index, word in enumerate(line.split(" ")):
        if index:
            yield x, " "
            x += stringWidth(" ", font, size)
        yield x, word
        x += stringWidth(word, font, size)


def build(slug, src_name, out_rel):
    src = SRC / slug / src_name
    out = SITE / slug / out_rel
    out.parent.mkdir(parents=True, exist_ok=True)
    council = COUNCILS[slug]
    if (slug, src_name) in WORD_STYLE:
        out.write_bytes(word_style_pdf(src.read_text(encoding="utf-8"), council))
        return out
    title, story = parse(src)

    def footer(canv, doc):
        canv.saveState()
        canv.setFont("Helvetica", 8)
        canv.drawString(20 * mm, 12 * mm, council)
        canv.drawRightString(A4[0] - 20 * mm, 12 * mm, f"Page {doc.page}")
        canv.restoreState()

    doc = SimpleDocTemplate(
        str(out),
        pagesize=A4,
        title=title,
        author=council,
        creator="Council Radar demo",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
        invariant=1,
        pageCompression=1,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out


def main():
    for slug, src_name, out_rel in MAPPING:
        out = build(slug, src_name, out_rel)
        print(f"{out.stat().st_size:6d}  {out.relative_to(DEMO)}")


if __name__ == "__main__":
    main()
