"""Untrusted XML (sitemaps, web-service answers): no entities, no DTDs, no network.

External entities, parameter entities and external DTDs are never loaded (no file is read,
no URL fetched), and entities are never expanded. libxml2 still measures what a document's
entities would expand to and stops at "billion laughs"; `parse_xml` turns that into an
error in words rather than hand back the half of the document read before it.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
)
# libxml2's own brakes: entity amplification, entity loops, depth and size limits.
_LIMITS = {etree.ErrorTypes.ERR_RESOURCE_LIMIT, etree.ErrorTypes.ERR_ENTITY_LOOP}


class XmlRefused(ValueError):
    """A document the parser stopped reading at one of its limits (a billion-laughs or
    entity-loop attack, absurd nesting): refused whole, not half read."""


def parse_xml(body: bytes) -> Any | None:
    """The root element, or None when the body is not XML at all; XmlRefused when the parser
    stopped at a limit."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        return None
    for error in _PARSER.error_log:
        if error.type in _LIMITS:
            message = error.message.split(",")[0].strip()
            if "amplification" in message or error.type == etree.ErrorTypes.ERR_ENTITY_LOOP:
                message = "its entities would expand without limit (billion laughs)"
            raise XmlRefused(f"refused: {message}")
    return root


def local_name(tag: Any) -> str:
    """An element's name without its namespace ('{ns}loc' -> 'loc'); '' for comments."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
