"""Scrapy item pipelines, in order: extract → normalise → dedupe → group stories → attribute →
store (the order is in `crawlers.settings.ITEM_PIPELINES`, with every other Scrapy setting).

Tagging runs after the crawl as its own batch stage (`radar tag --store`): the model embeds
many items' sentences per batch far faster than one item at a time, and stored items can be
re-tagged when the classifier changes without crawling again.
"""
