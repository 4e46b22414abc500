"""WARC captures of every HTTP exchange of a crawl (:mod:`.capture`), and reading them back (:mod:`.reading`).

docs/warc.md says how to switch capture on, what is in the files and how to re-extract records from them.
"""

# WARC fields of this project's own (WARC 1.1 allows fields it does not define; these do not start with
# ``WARC-``, which the standard keeps for its own). On a response record: the canonical URL of the article the
# request was for (the spiders' ARTICLE_URL_META). In the warcinfo record: the spider and whether it followed
# feed items to their pages, so a re-extraction makes the records that run made.
ARTICLE_URL_FIELD = "RFI-News-Article-URL"
SPIDER_FIELD = "rfi-news-spider"
FOLLOW_FIELD = "rfi-news-follow-pages"
RUN_FIELD = "isPartOf"
