"""Turn fetched bodies into text: trafilatura for HTML pages, pypdf for PDF documents."""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass
from typing import Any

import trafilatura
from pypdf import PdfReader
from w3lib.html import remove_tags, replace_entities

from pipelines.normalise import clean_text

logger = logging.getLogger(__name__)


class ExtractionError(Exception):
    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason


@dataclass
class Page:
    text: str | None
    title: str | None
    date: str | None  # YYYY-MM-DD from the page's own metadata, when it has one


def extract_html(html: str | bytes, url: str, encoding: str | None = None) -> Page:
    """Main text, title and date of an HTML page, without navigation, banners and footers."""
    if isinstance(html, bytes):
        html = html.decode(encoding or "utf-8", errors="replace")
    text = trafilatura.extract(html, url=url, include_comments=False, favor_precision=True)
    metadata = trafilatura.extract_metadata(html, default_url=url)
    return Page(
        text=text,
        title=metadata.title if metadata else None,
        date=metadata.date if metadata else None,
    )


def extract_pdf(data: bytes, url: str) -> list[str]:
    """Text of each page of a PDF, so evidence can cite its page number."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractionError(url, "PDF is encrypted")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf on hostile input raises anything
        raise ExtractionError(url, f"unreadable PDF ({type(exc).__name__}: {exc})") from None
    if not any(pages):
        raise ExtractionError(url, f"PDF has no text layer ({len(pages)} pages; a scan?)")
    return pages


MAX_DOCX_UNPACKED = 50 * 1024 * 1024  # a zip bomb's declared sizes are checked before parsing
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def extract_docx(data: bytes, url: str) -> str:
    """Text of a Word document's paragraphs and tables (committee reports are often .docx)."""
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_DOCX_UNPACKED:
                raise ExtractionError(url, f"document unpacks to {unpacked:,} bytes; refused")
        document = docx.Document(io.BytesIO(data))
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001 - hostile input: any parser error means unreadable
        reason = f"unreadable Word document ({type(exc).__name__}: {exc})"
        raise ExtractionError(url, reason) from None
    parts = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(parts)


def is_docx(content_type: str, url: str, body: bytes) -> bool:
    return DOCX_TYPE in content_type.lower() or (
        body[:2] == b"PK" and url.lower().split("?")[0].endswith(".docx")
    )


def is_pdf(content_type: str, url: str, body: bytes) -> bool:
    return (
        "pdf" in content_type.lower()
        or body[:5] == b"%PDF-"
        or url.lower().split("?")[0].endswith(".pdf")
    )


def summary_text(item: dict[str, Any]) -> str:
    """A feed's summary as plain text: feeds put HTML in it."""
    return replace_entities(remove_tags(item.get("summary") or ""))


class ExtractPipeline:
    """Fill `text` (and `page_offsets` for PDFs) from the fetched `body`."""

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        body: bytes | None = item.pop("body", None)
        content_type = item.pop("content_type", "") or ""
        encoding = item.pop("encoding", None)
        if item.get("text") or body is None:
            item.setdefault("text", summary_text(item))
            return item
        try:
            if is_pdf(content_type, item["url"], body):
                pages = [clean_text(page) for page in extract_pdf(body, item["url"])]
                offsets, parts, position = [], [], 0
                for page in pages:
                    offsets.append(position)
                    parts.append(page)
                    position += len(page) + 2
                item["text"] = "\n\n".join(parts)
                item["page_offsets"] = offsets
            elif is_docx(content_type, item["url"], body):
                item["text"] = extract_docx(body, item["url"])
            else:
                page = extract_html(body, item["url"], encoding)
                item["text"] = page.text or summary_text(item)
                if not item.get("title") and page.title:
                    item["title"] = page.title
                if not item.get("published") and page.date:
                    item["published"] = f"{page.date[:10]}T00:00:00Z"
                    item["date_source"] = "page"
                if not page.text:
                    item["summary_only"] = True
        except ExtractionError as exc:
            # Keep the item (its feed summary, title and link) and say why it has no text.
            logger.warning("extract failed: %s", exc)
            item["text"] = summary_text(item)
            item["summary_only"] = True
            item.setdefault("meta", {})["extract_error"] = exc.reason
        return item
