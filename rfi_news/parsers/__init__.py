"""Pure parsers: strings and bytes in, plain data out; no Scrapy engine inside.

- :mod:`.body`: the one reader of RFI's article-body HTML (feed items, archive items, article pages).
- :mod:`.item`: a feed item's description (date line, image, chapô, body, share links, footer).
- :mod:`.archive`: one archived feed item file (``<!--ms-->`` / ``[title](link)`` / ``------`` / HTML).
- :mod:`.rss`: an RSS 2.0 document.
- :mod:`.page`: an RFI article page (JSON-LD, meta, then named selectors; the body through :mod:`.body`).
"""
