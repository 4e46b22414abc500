"""Spiders discover and fetch; the parsers in :mod:`rfi_news.parsers` extract."""
