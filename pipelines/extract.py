"""Turn fetched bodies into text: trafilatura for HTML pages, pypdf for PDF documents."""

from __future__ import annotations

import io
import logging
from typing import Any

import trafilatura
from pypdf import PdfReader
from pypdf.errors import PyPdfError

logger = logging.getLogger(__name__)


class ExtractionError(Exception):
    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason = url, reason


def extract_html(html: str | bytes, url: str) -> tuple[str | None, str | None]:
    """Main text and title of an HTML page, without navigation, banners and footers."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    text = trafilatura.extract(html, url=url, include_comments=False, favor_precision=True)
    metadata = trafilatura.extract_metadata(html, default_url=url)
    title = metadata.title if metadata else None
    return text, title


def extract_pdf(data: bytes, url: str) -> list[str]:
    """Text of each page of a PDF, so evidence can cite its page number."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractionError(url, "PDF is encrypted")
        return [(page.extract_text() or "").strip() for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise ExtractionError(url, f"unreadable PDF ({exc})") from None


def is_pdf(content_type: str, url: str, body: bytes) -> bool:
    return (
        "pdf" in content_type.lower()
        or body[:5] == b"%PDF-"
        or url.lower().split("?")[0].endswith(".pdf")
    )


class ExtractPipeline:
    """Fill `text` (and `page_offsets` for PDFs) from the fetched `body`."""

    def process_item(self, item: dict[str, Any], spider: Any = None) -> dict[str, Any]:
        body: bytes | None = item.pop("body", None)
        content_type = item.pop("content_type", "") or ""
        if item.get("text") or body is None:
            item.setdefault("text", item.get("summary") or "")
            return item
        try:
            if is_pdf(content_type, item["url"], body):
                pages = extract_pdf(body, item["url"])
                offsets, parts, position = [], [], 0
                for page in pages:
                    offsets.append(position)
                    parts.append(page)
                    position += len(page) + 2
                item["text"] = "\n\n".join(parts)
                item["page_offsets"] = offsets
            else:
                text, title = extract_html(body, item["url"])
                item["text"] = text or item.get("summary") or ""
                if not item.get("title") and title:
                    item["title"] = title
                if not text:
                    item["summary_only"] = True
        except ExtractionError as exc:
            logger.warning("extract failed: %s", exc)
            item["text"] = item.get("summary") or ""
            item["summary_only"] = True
            item.setdefault("errors", []).append(str(exc))
        return item
