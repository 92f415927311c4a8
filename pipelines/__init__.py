"""Scrapy item pipelines, in order: extract → normalise → dedupe → group stories → attribute →
store.

Tagging runs after the crawl as its own batch stage (`radar tag --store`): the model embeds
many items' sentences per batch far faster than one item at a time, and stored items can be
re-tagged when the classifier changes without crawling again.
"""

ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.normalise.NormalisePipeline": 200,
    "pipelines.dedupe.DedupePipeline": 300,
    "pipelines.stories.StoryPipeline": 350,
    "pipelines.attribute.AttributePipeline": 400,
    "pipelines.store.StorePipeline": 500,
}
