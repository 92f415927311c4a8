"""Hostile documents, made byte by byte, and a loopback web that serves them from a feed.

Every file is built here in well under a second (no large binaries in the repository): a
deflate bomb is one compressed megabyte-block repeated, since a full flush resets the
compressor and so the same block compresses to the same bytes every time.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler

from faultweb import pdf_with_text, rss
from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from demo.server import LoopbackServer

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
MIB = 1 << 20


# --- PDF, by hand -------------------------------------------------------------------------------


def raw_pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF whose object n is objects[n - 1], object 1 the catalogue, with a classic xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R %s >>\n" % (len(objects) + 1, trailer))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def pdf_stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), entries, data)


def deflated_repeats(block: bytes, repeats: int, zlib_wrapper: bool) -> bytes:
    """`block * repeats`, deflated, built from one compressed block: zlib-wrapped (a PDF's
    FlateDecode) or raw (a zip entry)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()
    if not zlib_wrapper:
        return piece * repeats + end
    adler = 1
    for _ in range(repeats):
        adler = zlib.adler32(block, adler)
    return b"\x78\xda" + piece * repeats + end + struct.pack(">I", adler)


def text_page(parent: int, contents: int, font: int) -> bytes:
    return (
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (parent, contents, font)
    )


def text_ops(text: str) -> bytes:
    return b"BT /F1 12 Tf 72 720 Td (%s) Tj ET\n" % text.encode()


def flate_bomb_pdf(inflated: int = 1 << 30) -> bytes:
    """One page whose 1.6 MB content stream inflates to `inflated` bytes (default 1 GiB)."""
    block = text_ops("The council approved the budget.") * (MIB // 64)
    data = deflated_repeats(block, inflated // len(block), zlib_wrapper=True)
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            text_page(2, 4, 5),
            pdf_stream(data, b"/Filter /FlateDecode"),
            FONT,
        ]
    )


def page_bombs_pdf(pages: int = 60, inflated: int = 70_000_000) -> bytes:
    """`pages` pages, each with its own content stream of blanks that inflates to just under
    pypdf's 75 MB limit per stream: 4 MB that pypdf would hold as 4 GB, page after page."""
    data = deflated_repeats(b" " * MIB, inflated // MIB, zlib_wrapper=True)
    kids = b" ".join(b"%d 0 R" % (4 + 2 * n) for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        FONT,
    ]
    for n in range(pages):
        objects += [text_page(2, 5 + 2 * n, 3), pdf_stream(data, b"/Filter /FlateDecode")]
    return raw_pdf(objects)


def slow_page_pdf() -> bytes:
    """Page 1 is ordinary; page 2's stream is two million text operators (seconds of CPU to
    parse); page 3 is ordinary again."""
    block = text_ops("Filler") * (MIB // 32)
    slow = deflated_repeats(block, 70_000_000 // len(block), zlib_wrapper=True)
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 5 0 R 7 0 R] /Count 3 >>",
            text_page(2, 4, 9),
            pdf_stream(text_ops("Page one: the minutes were agreed.")),
            text_page(2, 6, 9),
            pdf_stream(slow, b"/Filter /FlateDecode"),
            text_page(2, 8, 9),
            pdf_stream(text_ops("Page three: the meeting closed.")),
            FONT,
        ]
    )


def many_pages_pdf(count: int = 100_000, per_branch: int = 1_000) -> bytes:
    """`count` pages (about 85 bytes each) in a two-level page tree, each saying one line."""
    branches = -(-count // per_branch)
    first_branch, first_page = 4, 4 + branches
    kids = b" ".join(b"%d 0 R" % (first_branch + n) for n in range(branches))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 3 0 R >> >> >>" % (kids, count),
        FONT,
    ]
    for n in range(branches):
        pages = range(n * per_branch, min(count, (n + 1) * per_branch))
        refs = b" ".join(b"%d 0 R" % (first_page + p) for p in pages)
        objects.append(
            b"<< /Type /Pages /Parent 2 0 R /Kids [%s] /Count %d >>" % (refs, len(pages))
        )
    contents = first_page + count
    objects += [
        b"<</Type/Page/Parent %d 0 R/Contents %d 0 R>>" % (first_branch + p // per_branch, contents)
        for p in range(count)
    ]
    objects.append(pdf_stream(text_ops("Minute: the committee noted the report.")))
    return raw_pdf(objects)


def xref_bomb_pdf() -> bytes:
    """A readable one-page PDF whose cross-reference stream claims two billion objects."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        text_page(2, 4, 5),
        pdf_stream(text_ops("Cross-reference stream minutes.")),
        FONT,
    ]
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    offsets.append(xref)
    rows = b"\x00\x00\x00\x00\x00\xff\xff" + b"".join(
        b"\x01" + offset.to_bytes(4, "big") + b"\x00\x00" for offset in offsets
    )
    entries = b"/Type /XRef /Size 2000000000 /W [1 4 2] /Index [0 2000000000] /Root 1 0 R"
    out.write(b"%d 0 obj\n%s\nendobj\n" % (len(offsets), pdf_stream(rows, entries)))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def image_only_pdf() -> bytes:
    """A scanned page: one picture, no text layer."""
    from PIL import Image, ImageDraw

    picture = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(picture)
    for line in range(40):
        draw.rectangle((40, 40 + line * 18, 560 - (line % 5) * 40, 50 + line * 18), fill=0)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.drawImage(ImageReader(picture), 0, 0, width=595, height=842)
    page.showPage()
    page.save()
    return buffer.getvalue()


def protected_pdf(text: str) -> bytes:
    """Encrypted with an owner password only: anyone may open it, as many councils publish."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf_with_text(text)))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def minutes_pdf(pages: int, council: str = "Westmarsh") -> bytes:
    """Ordinary minutes: `pages` pages of 45 lines each."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for number in range(pages):
        for line in range(45):
            page.drawString(
                50, 800 - line * 16, f"{council} minute {number}.{line}: RESOLVED that the report"
            )
        page.showPage()
    page.save()
    return buffer.getvalue()


# --- Word, by hand --------------------------------------------------------------------------


def word_document(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_archive(entries: list[tuple[str, bytes, int, int, int]], extra_records: int = 0) -> bytes:
    """A zip of (name, stored bytes, method, crc, declared size) entries, written by hand so
    that sizes may lie; the last entry gets `extra_records` more directory records, all
    pointing at its one copy of the data (overlapping entries)."""
    out, offsets = io.BytesIO(), []
    for name, data, method, crc, size in entries:
        offsets.append(out.tell())
        encoded = name.encode()
        header = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), size, len(encoded), 0
        )
        out.write(header + encoded + data)
    listed = list(zip(entries, offsets, strict=True)) + [(entries[-1], offsets[-1])] * extra_records
    records = []
    for (name, data, method, crc, size), offset in listed:
        encoded = name.encode()
        records.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, len(data), size,
                len(encoded), 0, 0, 0, 0, 0, offset,
            )
            + encoded
        )  # fmt: skip
    directory, blob = out.tell(), b"".join(records)
    out.write(blob)
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(records), len(records), len(blob), directory, 0
    )
    return out.getvalue() + end


def _word_parts(text: str) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(word_document(text))) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _stored(name: str, data: bytes) -> tuple[str, bytes, int, int, int]:
    return (name, data, zipfile.ZIP_STORED, zlib.crc32(data), len(data))


def size_lie_docx() -> bytes:
    """word/document.xml says it is 1,000 bytes; its 1.6 MB of data inflate to 1 GiB."""
    parts = _word_parts("Size lie")
    block = b"<w:p/>" * (MIB // 6)
    data = deflated_repeats(block, 1024, zlib_wrapper=False)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(block, crc)
    entries = [_stored(name, body) for name, body in parts.items() if name != "word/document.xml"]
    entries.append(("word/document.xml", data, zipfile.ZIP_DEFLATED, crc, 1_000))
    return zip_archive(entries)


def overlap_docx(records: int = 2_000) -> bytes:
    """A Word document plus `records` directory records that all point at one 10 MB entry
    (each one honest about its size): 20 GB for whoever unpacks every record."""
    parts = _word_parts("Overlap")
    block = b"\0" * MIB
    data = deflated_repeats(block, 10, zlib_wrapper=False)
    crc = 0
    for _ in range(10):
        crc = zlib.crc32(block, crc)
    entries = [_stored(name, body) for name, body in parts.items()]
    entries.append(("word/media/image1.bin", data, zipfile.ZIP_DEFLATED, crc, 10 * MIB))
    return zip_archive(entries, extra_records=records - 1)


def paragraph_bomb_docx(paragraphs: int = 7_500_000) -> bytes:
    """An honest 0.9 MB document whose 45 MB of empty paragraphs make an XML tree of over a
    gigabyte: within the unpacked-size limit, so only the memory limit stops it."""
    parts = _word_parts("Paragraphs")
    body = parts["word/document.xml"].replace(b"<w:body>", b"<w:body>" + b"<w:p/>" * paragraphs)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = compressor.compress(body) + compressor.flush()
    entries = [_stored(name, part) for name, part in parts.items() if name != "word/document.xml"]
    entries.append(("word/document.xml", data, zipfile.ZIP_DEFLATED, zlib.crc32(body), len(body)))
    return zip_archive(entries)


# --- the web --------------------------------------------------------------------------------


class DocWeb(LoopbackServer):
    """Serves `documents` (path → (body, content type)) and one RSS feed per name in `feeds`
    (name → paths), each entry titled by its path and summarised "Summary of <title>."."""

    def __init__(
        self, documents: dict[str, tuple[bytes, str]], feeds: dict[str, list[str]]
    ) -> None:
        self.documents, self.feeds = documents, feeds
        self.hits: Counter[str] = Counter()
        super().__init__(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def send(self, body: bytes, content_type: str, status: int = 200) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                web.hits[self.path] += 1
                if self.path == "/robots.txt":
                    return self.send(b"User-agent: *\nDisallow:\n", "text/plain")
                name = self.path.removeprefix("/feeds/").removesuffix(".xml")
                if name in web.feeds:
                    links = [(path.rsplit("/", 1)[-1], path) for path in web.feeds[name]]
                    return self.send(rss(web.base_url, *links), "application/rss+xml")
                if self.path in web.documents:
                    return self.send(*web.documents[self.path])
                return self.send(b"Not found", "text/plain", 404)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler
