"""A loopback web that misbehaves on purpose: the bad input real council sites serve.

Each path is one fault. Counters make "fail, then recover" faults possible. Documents are
made here (reportlab, pypdf) so the fixtures are small and their faults exact.
"""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler
from xml.sax.saxutils import escape

from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from demo.server import LoopbackServer, reply


def pdf_with_text(text: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def scanned_pdf() -> bytes:
    """A page with only a drawing on it: what a scanned document looks like to a parser."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.rect(72, 72, 400, 600, fill=1)
    page.showPage()
    page.save()
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_with_text("Confidential minutes")))
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def rss(base: str, *links: tuple[str, str]) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link>"
        f"<description>Summary of {title}.</description>"
        f"<pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate></item>"
        for title, path in links
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Faults</title>'
        f"<link>{base}/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def rss_links(*links: tuple[str, str]) -> bytes:
    """A feed whose entries link to exactly these URLs (hostile ones included), unresolved."""
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<description>Summary of {escape(title)}.</description></item>"
        for title, link in links
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Links</title>'
        f"<link>http://example.org/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def sitemap_links(*locs: str) -> bytes:
    urls = "".join(f"<url><loc>{escape(loc)}</loc></url>" for loc in locs)
    return (f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode()


BOMB_MIB = 256  # what a bomb inflates to; its compressed body is about 250 KiB


@cache
def bomb(encoding: str) -> bytes:
    """BOMB_MIB of zeros as a `Content-Encoding: gzip`, `deflate` (zlib) or `br` body.

    Built from raw deflate blocks: after a full flush the compressor starts afresh, so every
    MiB compresses to the same bytes and the body is assembled in milliseconds rather than
    by compressing 256 MiB. The header and checksum trailer make it a valid stream that a
    decoder without a size limit would inflate to the full BOMB_MIB.
    """
    mib = b"\0" * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = compressor.compress(mib) + compressor.flush()
    deflated = block * (BOMB_MIB - 1) + final
    if encoding == "gzip":
        crc = 0
        for _ in range(BOMB_MIB):
            crc = zlib.crc32(mib, crc)
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        return header + deflated + struct.pack("<II", crc, (BOMB_MIB << 20) & 0xFFFFFFFF)
    if encoding == "br":
        import brotli

        streaming = brotli.Compressor(quality=5)
        return b"".join(streaming.process(mib) for _ in range(BOMB_MIB)) + streaming.finish()
    adler = 1
    for _ in range(BOMB_MIB):
        adler = zlib.adler32(mib, adler)
    return b"\x78\xda" + deflated + struct.pack(">I", adler)


class FaultWeb(LoopbackServer):
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.hits: Counter[str] = Counter()
        # Faults a test sets up: path -> (body, content type); /go/<name> -> Location.
        self.documents: dict[str, tuple[bytes, str]] = {}
        self.redirects: dict[str, str] = {}
        self.headers: dict[str, dict[str, str]] = {}  # extra headers for a document's path
        self.dripped: dict[str, int] = {}  # slow-drip path -> bytes sent before the client left
        super().__init__(self._handler(), host=host)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def send(self, status: int, body: bytes, ctype: str, **headers: str) -> None:
                reply(self, status, body, ctype, **headers)

            def redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def stream(self, ctype: str, size: int, declare: bool) -> None:
                """`size` bytes in 64 KiB writes, until the client hangs up."""
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                if declare:
                    self.send_header("Content-Length", str(size))
                else:
                    self.close_connection = True
                self.end_headers()
                chunk = b"<!-- padding -->" * 4096
                try:
                    for _ in range(size // len(chunk)):
                        self.wfile.write(chunk)
                except OSError:  # the crawler stopped reading: what it should do
                    return

            def drip(self, path: str, ctype: str, size: int) -> None:
                """A byte a second: only a download timeout ends this."""
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                try:
                    for sent in range(size):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        web.dripped[path] = sent + 1
                        time.sleep(1)
                except OSError:
                    return

            def do_GET(self) -> None:  # noqa: N802
                path = self.path
                web.hits[path] += 1
                hit = web.hits[path]
                base = web.base_url
                xml = "application/rss+xml"
                if path == "/robots.txt":
                    return self.send(200, b"User-agent: *\nDisallow:\n", "text/plain")
                if path in web.documents:
                    return self.send(200, *web.documents[path], **web.headers.get(path, {}))
                if path.startswith("/go/") and path[4:] in web.redirects:
                    return self.redirect(web.redirects[path[4:]])
                if path.startswith("/wall/") and hit == 1:  # a session wall: to itself, once
                    return self.redirect(path)
                if path.startswith("/self/"):  # redirects to itself for ever
                    return self.redirect(path)
                if path.startswith("/chain/"):  # a redirect chain that never ends
                    return self.redirect(f"/chain/{int(path[7:]) + 1}")
                if path.startswith("/bomb/"):  # /bomb/<encoding>.xml or .html
                    encoding = path[6:].split(".")[0]
                    ctype = "text/html" if path.endswith(".html") else xml
                    return self.send(200, bomb(encoding), ctype, Content_Encoding=encoding)
                if path == "/big/declared.xml":  # says how big it is: refused before reading
                    return self.stream(xml, 3 << 20, declare=True)
                if path == "/big/undeclared.xml":  # no Content-Length: found out while reading
                    return self.stream(xml, 3 << 20, declare=False)
                if path == "/drip.xml":
                    return self.drip(path, xml, 120)
                if path.startswith("/drip/"):  # a page that drips for two minutes
                    return self.drip(path, "text/html", 120)
                if path == "/feeds/malformed.xml":
                    return self.send(200, b"<rss><channel><title>Broken & <item><title", xml)
                if path == "/feeds/latin1.xml":
                    body = (
                        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel>'
                        "<title>Fees</title><item><title>Parking now \u00a32 an hour</title>"
                        f"<link>{base}/pages/cp1252.html</link><description>Caf\u00e9 fees "
                        "\u00a35</description></item></channel></rss>"
                    ).encode("iso-8859-1")
                    return self.send(200, body, "application/rss+xml; charset=iso-8859-1")
                if path == "/feeds/html-200.xml":
                    page = b"<html><body><h1>Sorry, this service is unavailable</h1></body></html>"
                    return self.send(200, page, "text/html")
                if path == "/feeds/gone.xml":
                    return self.send(410, b"Gone", "text/plain")
                if path == "/feeds/flaky.xml":
                    if hit <= 2:
                        return self.send(500, b"oops", "text/plain")
                    return self.send(200, rss(base, ("Recovered story", "/pages/ok.html")), xml)
                if path == "/feeds/busy.xml":
                    if hit == 1:
                        return self.send(503, b"busy", "text/plain", Retry_After="1")
                    return self.send(200, rss(base, ("After the wait", "/pages/ok2.html")), xml)
                if path == "/feeds/slow.xml":
                    time.sleep(4)
                    return self.send(200, rss(base), xml)
                if path == "/feeds/huge.xml":
                    return self.send(200, b"<rss>" + b" " * 300_000 + b"</rss>", xml)
                if path == "/feeds/loop.xml":
                    self.send_response(302)
                    self.send_header("Location", "/feeds/loop.xml")
                    self.end_headers()
                    return None
                if path == "/sitemaps/broken-loc.xml":
                    # An unparseable <loc> makes URL joining raise inside the spider's callback.
                    body = (
                        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        b"<url><loc>http://[::1/news/x.html</loc></url></urlset>"
                    )
                    return self.send(200, body, "application/xml")
                if path == "/feeds/hostile-links.xml":
                    body = (
                        b'<?xml version="1.0"?><rss version="2.0"><channel><title>H</title>'
                        b"<item><title>Local file</title><link>file:///etc/hostname</link>"
                        b"<description>x</description></item>"
                        b"<item><title>Relative link</title><link>/pages/relative.html</link>"
                        b"<description>y</description></item>"
                        b"<item><title>Gone with markup</title><link>/gone/none.html</link>"
                        b"<description>&lt;p&gt;Council &lt;b&gt;sets&lt;/b&gt; budget&lt;/p&gt;"
                        b'&lt;img src="x.png" /&gt;</description></item>'
                        b"</channel></rss>"
                    )
                    return self.send(200, body, xml)
                if path == "/feeds/syndicated.xml":
                    links = [
                        ("Commissioners sent in", "/outlet/a.html"),
                        ("Council faces commissioners", "/outlet/b.html"),
                        ("Library reopens", "/outlet/c.html"),
                    ]
                    return self.send(200, rss(base, *links), xml)
                if path.startswith("/outlet/"):
                    story = (
                        "Government commissioners will take control of Westmarsh Borough "
                        "Council after a best value inspection found serious failures of "
                        "governance. Ministers said the council's leadership had ignored "
                        "warnings from its auditors for two years, and that commissioners "
                        "would oversee finance, governance and senior appointments for at "
                        "least three years while the council rebuilds its arrangements."
                    )
                    intro = {
                        "/outlet/a.html": "",
                        "/outlet/b.html": "EXCLUSIVE: Our reporter has learned that ",
                        "/outlet/c.html": None,
                    }[path]
                    if intro is None:
                        story = (
                            "The central library reopened on Saturday after a refurbishment "
                            "that added a children's room, a cafe and new study spaces, and "
                            "the council thanked residents for their patience during the "
                            "works, which finished two weeks early and within the budget."
                        )
                        intro = ""
                    page = f"<html><body><article><h1>News</h1><p>{intro}{story}</p></article>"
                    page += "</body></html>"
                    return self.send(200, page.encode(), "text/html")
                if path == "/feeds/updated.atom":
                    # The second time, the entry says it changed (Atom <updated>) after we read it.
                    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
                    updated = "2026-11-25T10:00:00Z" if hit == 1 else later
                    body = (
                        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Updates</title>'
                        "<entry><title>Budget statement</title>"
                        f'<link href="{base}/pages/changing.html"/>'
                        "<id>tag:x,2026:1</id><published>2026-11-25T10:00:00Z</published>"
                        f"<updated>{updated}</updated><summary>s</summary></entry></feed>"
                    ).encode()
                    return self.send(200, body, "application/atom+xml")
                if path == "/pages/changing.html":
                    version = (
                        "the council agreed its budget"
                        if hit == 1
                        else ("the council has now failed to set a lawful budget")
                    )
                    page = (
                        f"<html><body><article><h1>Budget statement</h1><p>After a long debate "
                        f"{version}, the chief finance officer told members at the meeting of "
                        f"the full council on Tuesday evening.</p></article></body></html>"
                    ).encode()
                    return self.send(200, page, "text/html")
                if path == "/feeds/documents.xml":
                    links = [
                        ("Corrupt minutes", "/docs/corrupt.pdf"),
                        ("Encrypted minutes", "/docs/encrypted.pdf"),
                        ("Scanned minutes", "/docs/scanned.pdf"),
                        ("Good minutes", "/docs/good.pdf"),
                    ]
                    return self.send(200, rss(base, *links), xml)
                if path == "/docs/corrupt.pdf":
                    return self.send(200, b"%PDF-1.4\n1 0 obj <</Type /Catalog", "application/pdf")
                if path == "/docs/encrypted.pdf":
                    return self.send(200, encrypted_pdf(), "application/pdf")
                if path == "/docs/scanned.pdf":
                    return self.send(200, scanned_pdf(), "application/pdf")
                if path == "/docs/good.pdf":
                    body = pdf_with_text("The Council approved the budget.")
                    return self.send(200, body, "application/pdf")
                if path == "/pages/cp1252.html":
                    page = (
                        "<html><head><meta charset='windows-1252'><title>Fees</title></head><body>"
                        "<article><h1>Parking fees</h1><p>Parking in the town centre will cost "
                        "\u00a32 an hour from April, the council\u2019s cabinet has agreed after a "
                        "consultation with residents and traders in the caf\u00e9 quarter. The "
                        "charges are the first rise in six years and will pay for repairs.</p>"
                        "</article></body></html>"
                    ).encode("cp1252")
                    return self.send(200, page, "text/html")
                if path.startswith(("/pages/", "/wall/")):
                    page = (
                        b"<html><body><article><h1>Story</h1><p>The council said the library will "
                        b"reopen on Monday after repairs to the roof were finished ahead of time "
                        b"and within the budget set by the cabinet in the spring.</p></article>"
                        b"</body></html>"
                    )
                    return self.send(200, page, "text/html")
                return self.send(404, b"Not found", "text/plain")

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler
