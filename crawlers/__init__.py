"""Scrapy spiders, one base per source kind, configured by watch-list sources."""
