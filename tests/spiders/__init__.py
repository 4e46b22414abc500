"""Test-only spiders, loaded by adding ``tests.spiders`` to ``SPIDER_MODULES`` on a test crawl's command line."""
