"""Turn fetched bodies into text: trafilatura for HTML pages here; PDF and Word documents in
the document worker (pipelines/documents.py), under memory, time and page limits."""

from __future__ import annotations

import asyncio
import atexit
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import trafilatura
from htmldate import find_date
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title, extract_url
from trafilatura.settings import Document, set_date_params
from trafilatura.utils import load_html
from w3lib.html import remove_tags, replace_entities

from domain.items import Item
from pipelines.dates import CRAWL_DATES, PAGE_DATES, UK, PageDates, choose_date, url_date
from pipelines.documents import (
    DocumentReader,
    DocumentText,
    ExtractionError,
    damaged_download,
    extract_docx,
    extract_pdf,
)
from pipelines.normalise import clean_text
from pipelines.shown_dates import headline_date

__all__ = ["ExtractPipeline", "ExtractionError", "extract_docx", "extract_html", "extract_pdf"]

logger = logging.getLogger(__name__)


@dataclass
class Page:
    text: str | None
    title: str | None
    dates: PageDates  # near the headline, in the URL, in the metadata (pipelines.dates)


_CONTROLS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f]|&#0*([0-8]|1[124-9]|2\d|3[01]);|&#x0*([0-8bcef]|1[0-9a-f]);",
    re.IGNORECASE,
)


def readable_html(html: str | bytes, encoding: str | None = None) -> str:
    """A page's HTML as text lxml will read whole."""
    if isinstance(html, bytes):
        html = html.decode(encoding or "utf-8", errors="replace")
    # lxml (under trafilatura) gives up on a whole page over one control character, raw or
    # as a reference (&#1;): none of them is text, so drop them first.
    return _CONTROLS.sub("", html)


def title_and_date(html: str, url: str) -> Document:
    """`trafilatura.extract_metadata(html, default_url=url)`'s title, URL and date, read the
    way it reads them, without the author, site name, categories, tags and licence it also
    reads: none of them is kept, and they were half the time an article page took to read.
    """
    tree = load_html(html)
    if tree is None:
        return Document()
    metadata = examine_meta(tree)
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception:  # noqa: BLE001 - as extract_metadata: its JSON-LD reader has bugs
        pass
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, url)
    metadata.date = find_date(tree, **set_date_params(True), url=metadata.url)
    return metadata


def read_page_dates(html: str, url: str, today: date | None = None) -> tuple[PageDates, Any]:
    """The dates a page offers (near its headline, in its URL, in its metadata: see
    pipelines.dates), and trafilatura's metadata of it. `today` (default: today, UTC) is the
    last day a date may be."""
    today = today or datetime.now(UK).date()  # a UK page's today
    metadata = title_and_date(html, url)
    try:
        described = date.fromisoformat(metadata.date[:10]) if metadata and metadata.date else None
    except ValueError:
        described = None
    tree = load_html(html)
    dates = PageDates(
        shown=headline_date(tree, today) if tree is not None else None,
        url=url_date(url, today),
        metadata=described,
    )
    return dates, metadata


def extract_html(
    html: str | bytes, url: str, encoding: str | None = None, today: date | None = None
) -> Page:
    """Main text, title and dates of an HTML page, without navigation, banners and footers."""
    html = readable_html(html, encoding)
    text = trafilatura.extract(html, url=url, include_comments=False, favor_precision=True)
    dates, metadata = read_page_dates(html, url, today)
    return Page(text=text, title=metadata.title if metadata else None, dates=dates)


def date_item(item: Item, dates: PageDates) -> None:
    """Give an item its date from what its source gave with the link and what its page
    shows (pipelines.dates.choose_date); when they disagree, `meta.dates` keeps them all,
    and `meta.date_shown` says where a reader sees the chosen day (headline, listing).
    A date from elsewhere (a democracy document's meeting) is kept as it is; one read from
    the page before (an item fetched again) is read again."""
    source = item.get("date_source")
    if item.get("published") and source not in (*CRAWL_DATES, "lastmod", *PAGE_DATES):
        return
    given = item.get("published") if source in (*CRAWL_DATES, "lastmod") else None
    choice = choose_date(given, source if given else None, dates)
    meta = item.setdefault("meta", {})
    if choice.published is None:
        return
    for earlier in ("dates", "date_shown"):  # from an earlier reading of the page
        meta.pop(earlier, None)
    item["published"], item["date_source"] = choice.published, choice.source
    if choice.candidates:
        meta["dates"] = choice.candidates
    if choice.shown:
        meta["date_shown"] = choice.shown


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


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


def summary_text(item: Item) -> str:
    """A feed's summary as plain text: feeds put HTML in it."""
    return replace_entities(remove_tags(item.get("summary") or ""))


# One worker for the whole crawl (a crawl runs a spider per source kind at once), so one
# memory limit bounds every document being read; one thread waits on it, so documents are
# read one at a time while the crawl goes on fetching.
DOCUMENTS = DocumentReader()
_DOCUMENT_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="documents")
atexit.register(DOCUMENTS.close)


async def read_document(kind: str, body: bytes, url: str) -> DocumentText:
    """A PDF or Word document's text from the worker, awaited without blocking the crawl:
    a hostile document may take the worker a minute, and the downloads in flight meanwhile
    must not time out."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return DOCUMENTS.read(kind, body, url)
    return await loop.run_in_executor(_DOCUMENT_THREAD, DOCUMENTS.read, kind, body, url)


def joined_pages(pages: list[str]) -> tuple[str, list[int]]:
    """A PDF's pages as one text, and where each page starts in it (evidence cites pages)."""
    offsets, position = [], 0
    for page in pages:
        offsets.append(position)
        position += len(page) + 2
    return "\n\n".join(pages), offsets


class ExtractPipeline:
    """Fill `text` (and `page_offsets` for PDFs) from the fetched `body`, and an HTML page's
    date (`date_item`). `today` (default: the day it runs) is the last day a date may be."""

    def __init__(self, today: date | None = None):
        self.today = today

    async def process_item(self, item: Item, spider: Any = None) -> Item:
        body: bytes | None = item.pop("body", None)
        content_type = item.pop("content_type", "") or ""
        encoding = item.pop("encoding", None)
        if item.get("text") or body is None:
            item.setdefault("text", summary_text(item))
            return item
        try:
            if is_pdf(content_type, item["url"], body):
                document = await read_document("pdf", body, item["url"])
                pages = [clean_text(page) for page in document.pages]
                item["text"], item["page_offsets"] = joined_pages(pages)
            elif is_docx(content_type, item["url"], body):
                document = await read_document("docx", body, item["url"])
                item["text"] = document.pages[0]
            else:
                document = None
                page = extract_html(body, item["url"], encoding, self.today)
                item["text"] = page.text or summary_text(item)
                if not item.get("title") and page.title:
                    item["title"] = page.title
                date_item(item, page.dates)
                if not page.text:  # an error page or garbage served as the page, often
                    item["summary_only"] = item["refetch"] = True
            if document is not None and document.note:
                # Read in part (a page cap, a time or memory limit): say what was left out.
                item.setdefault("meta", {})["extract_note"] = document.note
        except ExtractionError as exc:
            # Keep the item (its feed summary, title and link) and say why it has no text.
            logger.warning("extract failed: %s", exc)
            item["text"] = summary_text(item)
            item["summary_only"] = True
            item["refetch"] = damaged_download(exc.reason)
            item.setdefault("meta", {})["extract_error"] = exc.reason
        return item
