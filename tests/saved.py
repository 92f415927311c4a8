"""Responses built from pages saved from real sites (tests/files/, sources in SOURCES.md),
with the address they were saved from, for spider callbacks called in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse, Request, XmlResponse

FILES = Path(__file__).resolve().parent / "files"


def saved_response(name: str, url: str, **request: Any) -> HtmlResponse | XmlResponse:
    """The saved file `name` (under tests/files/) as the response to a GET of `url`."""
    body = (FILES / name).read_bytes()
    kind = XmlResponse if name.endswith(".xml") else HtmlResponse
    return kind(url=url, body=body, encoding="utf-8", request=Request(url, **request))


def spider_for(spider_class: type, sources: list[Any], **kwargs: Any) -> Any:
    """A spider made the way a crawl makes it (from a crawler with the project's settings
    defaults), each source begun, ready for its callbacks to be called in-process."""
    from scrapy.utils.test import get_crawler

    spider = spider_class.from_crawler(get_crawler(spider_class), sources=sources, **kwargs)
    for source in sources:
        spider.begin(source)
    return spider


def split(results: Any) -> tuple[list[Request], list[dict[str, Any]]]:
    """A callback's output as (requests, items)."""
    requests, items = [], []
    for result in results or ():
        (requests if isinstance(result, Request) else items).append(result)
    return requests, items
