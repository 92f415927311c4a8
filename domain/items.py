"""What a spider yields and the pipelines fill in: one `Item` type with every field named.

A Scrapy `Item` rather than a dict so that a misspelt key fails where it is written
(`KeyError: 'Item does not support field: titel'`) instead of reaching the store as a silent
`None`, and so that the control flags the pipelines pass along (`update`, `refetch`,
`summary_only`, the raw `body`) are written down here with what they mean. Pipelines read it
like a dict (`item["url"]`, `item.get("meta")`), so they also take the plain dicts some tests
build (code that must treat any item kind alike can use Scrapy's `ItemAdapter`).

Fields are grouped by who sets them; a field not set is absent (`item.get(...)` is None).
"""

from __future__ import annotations

from scrapy import Field
from scrapy import Item as ScrapyItem


class Item(ScrapyItem):
    """One news article, feed entry, meeting document or published minutes."""

    # Set by the spider (crawlers/base.py `base_item`) from the source and the listing.
    source_id = Field()  # the watch list's source id
    origin = Field()  # council, media, alert or government (domain.config.ORIGINS)
    council = Field()  # GSS code of the source's council (None for local media)
    url = Field()  # the address fetched (after redirects, once the page is read)
    requested_url = Field()  # canonical link a feed entry gave, when its page answered elsewhere
    kind = Field()  # news, media, alert, notice (feeds); minutes, report... (meetings)
    title = Field()  # the listing's or feed's headline; the page's own when it has none
    summary = Field()  # a feed entry's summary: the text kept if the page cannot be read
    text = Field()  # the text, when the listing already holds it (minutes on a meeting page)
    published = Field()  # ISO date-time the source gives (feed, meeting date, listing card)
    date_source = Field()  # where `published` came from: feed, meeting, listing, page, none
    meta = Field()  # a dict kept as JSON: committee, meeting date, document type, notes

    # Control flags: how the pipelines and the store treat the item.
    update = Field()  # True: a stored item fetched again; the store updates, never inserts
    summary_only = Field()  # True: the page could not be read; the summary stands for it
    refetch = Field()  # True/False: whether a later crawl should try the page again
    alias_only = Field()  # True: nothing new; `requested_url` is another link to `url`'s item

    # The fetched page, set by `parse_body` and dropped by the extract pipeline.
    body = Field()  # the response's bytes
    encoding = Field()  # Scrapy's encoding for a text response (header, BOM, <meta>)
    content_type = Field()  # the Content-Type header, to tell HTML, PDF and .docx apart

    # Set by the pipelines (pipelines/*.py), in order.
    page_offsets = Field()  # extract: where each PDF page starts in `text`
    canonical_url = Field()  # normalise: the URL the store keys the item on
    id = Field()  # normalise: the item's id, a hash of `canonical_url`
    content_hash = Field()  # normalise: a hash of the text, to drop duplicates
    fetched = Field()  # normalise: when it was fetched (ISO, UTC)
    story_sketch = Field()  # stories: the MinHash sketch of a news-like text
    story_id = Field()  # stories: the story (syndicated copies) the item belongs to
    councils = Field()  # attribute: the councils the item is about (GSS codes)
