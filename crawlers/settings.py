"""Every Scrapy setting the crawl runs with, in one place (Scrapy's settings module).

The fixed ones (politeness, the SSRF guard, the middlewares and the item pipelines in
order) and those the watch list sets (user agent, concurrency, timeouts, sizes, the private
addresses opened) are built together by `crawl_settings`; discovery and source checks take
the same settings and drop the pipelines.
"""

from __future__ import annotations

from scrapy.settings import Settings

from domain.config import WatchList

# crawl.allow_private, read back by the guard's middleware and resolver.
ALLOW_PRIVATE = "RADAR_ALLOW_PRIVATE"

# Scrapy item pipelines, in order: extract -> normalise -> dedupe -> group stories ->
# attribute -> store (see pipelines/). Tagging runs after the crawl as its own batch stage.
ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.normalise.NormalisePipeline": 200,
    "pipelines.dedupe.DedupePipeline": 300,
    "pipelines.stories.StoryPipeline": 350,
    "pipelines.attribute.AttributePipeline": 400,
    "pipelines.store.StorePipeline": 500,
}


def crawl_settings(watchlist: WatchList, log_level: str = "WARNING") -> Settings:
    """Scrapy settings from the watch list: politeness comes from middlewares, not loops."""
    crawl = watchlist.crawl
    return Settings(
        {
            "BOT_NAME": "councilradar",
            "USER_AGENT": crawl.user_agent,
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS": crawl.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
            "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
            "AUTOTHROTTLE_START_DELAY": 1.0,
            "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrency_per_domain),
            "DOWNLOAD_TIMEOUT": crawl.download_timeout,
            "DOWNLOAD_MAXSIZE": crawl.max_bytes,
            "DOWNLOAD_WARNSIZE": crawl.max_bytes // 2,
            "RETRY_ENABLED": True,
            "RETRY_TIMES": crawl.retries,
            "RADAR_BACKOFF_BASE": crawl.backoff_seconds,
            "RADAR_SLOW_HOST_TIMEOUTS": crawl.slow_host_timeouts,
            "RADAR_SOURCE_BUDGET": crawl.source_budget,
            "COOKIES_ENABLED": False,
            # Scrapy starts this many asyncio tasks for every callback's output, however few
            # items or requests it yields (100 by default: 140,000 tasks for 1,400 pages);
            # our pipelines are synchronous but for documents, which are read one at a time.
            "CONCURRENT_ITEMS": 8,
            # Only http(s): a hostile feed or sitemap must not make us read file:, ftp:, s3:…
            "DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "s3": None, "data": None},
            # SSRF: nothing private, loopback, link-local or metadata unless the watch list
            # opens it, checked per request (every redirect hop) and again at connect time.
            ALLOW_PRIVATE: list(crawl.allow_private),
            "TWISTED_DNS_RESOLVER": "crawlers.guard.GuardedResolver",
            "DNS_TIMEOUT": crawl.download_timeout,
            # The guard refuses over-long URLs with a reason the source records, where
            # Scrapy's own limit would drop a feed's link without a word.
            "URLLENGTH_LIMIT": 0,
            "TELNETCONSOLE_ENABLED": False,
            # Scrapy 2.19 opens a code-running control endpoint on loopback by default: no.
            "REMOTE_CONTROL_ENABLED": False,
            "LOG_LEVEL": log_level,
            "LOG_INSTALL_ROOT_HANDLER": False,
            "ITEM_PIPELINES": ITEM_PIPELINES,
            "DOWNLOADER_MIDDLEWARES": {
                "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
                "crawlers.middlewares.PoliteRetryMiddleware": 550,
                # before robots.txt (100), so a refused host is never contacted at all
                "crawlers.guard.SsrfGuardMiddleware": 40,
                # a feed entry redirected to a page already read: not downloaded twice
                "crawlers.middlewares.EntryRedirects": 45,
                "crawlers.guard.RedirectTargetGuard": 650,  # sees redirects before 600 does
                # CONCURRENT_REQUESTS_PER_DOMAIN alone lets 8-10 requests at once reach one
                # host under Scrapy 2.19's asyncio downloader: this holds the limit. Last
                # before the download (after the HTTP cache, 900), first to see its outcome.
                "crawlers.middlewares.HostConcurrencyLimit": 950,
                # a slow host or a spent source budget: checked as the request gets its
                # permit (not while it queued for one), first to see a timeout
                "crawlers.middlewares.CrawlBudget": 960,
            },
            "RADAR_WATCHLIST": watchlist,
        }
    )
