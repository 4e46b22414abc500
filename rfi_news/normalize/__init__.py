"""Pure normalisation functions (no Scrapy inside): text, URLs, timestamps.

The pipelines in :mod:`rfi_news.pipelines` are thin wrappers over these.
"""
