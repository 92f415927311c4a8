"""Untrusted XML (sitemaps, web-service answers): no entities, no DTDs, no network."""

from __future__ import annotations

from typing import Any

from lxml import etree

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
)


def parse_xml(body: bytes) -> Any | None:
    """The root element, or None when the body is not XML at all."""
    try:
        return etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        return None


def local_name(tag: Any) -> str:
    """An element's name without its namespace ('{ns}loc' -> 'loc'); '' for comments."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
