"""rfi-news settings: one module, polite defaults; override with ``-s NAME=VALUE`` or Scrapyd's settings."""

import os

from rfi_news import __version__
from rfi_news.items import RECORD_FIELDS

BOT_NAME = "rfi_news"
SPIDER_MODULES = ["rfi_news.spiders"]
NEWSPIDER_MODULE = "rfi_news.spiders"

# --- Politeness -------------------------------------------------------------------------------------------
# Say who we are; a setting (or -s USER_AGENT=…) can add a contact address.
USER_AGENT = f"rfi-news/{__version__} (news archive crawler, Scrapy)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- Sources ----------------------------------------------------------------------------------------------
# The feedx feed first, then its mirrors; the next is tried only when one fails.
FEEDX_URLS = [
    "https://feedx.net/rss/rfi.xml",
    "https://feedx.top/rss/rfi.xml",
    "https://feedx.run/rss/rfi.xml",
]

# --- Items and output -------------------------------------------------------------------------------------
ITEM_PIPELINES = {
    "rfi_news.pipelines.UrlPipeline": 100,  # canonical url; section, column, language from it
    "rfi_news.pipelines.TitlePipeline": 200,  # needs the column
    "rfi_news.pipelines.TimestampsPipeline": 300,
    "rfi_news.pipelines.LeadPipeline": 400,
    "rfi_news.pipelines.ParagraphsPipeline": 500,  # needs the normalised lead
    "rfi_news.pipelines.LabelsPipeline": 600,
    "rfi_news.pipelines.ValidationPipeline": 800,  # after every normaliser
    "rfi_news.pipelines.DeduplicationPipeline": 900,  # only valid records claim a url
}
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = list(RECORD_FIELDS)
FEED_EXPORT_INDENT = None
LOG_FORMATTER = "rfi_news.logformatter.RecordLogFormatter"
LOG_LEVEL = "INFO"

# --- Engine -----------------------------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Scrapy's remote-control server runs code sent to it: nothing an unattended crawler should listen for.
REMOTE_CONTROL_ENABLED = False

EXTENSIONS = {
    "rfi_news.extensions.StatsFile": 900,  # on only when STATS_FILE names a file
}
STATS_FILE = None

# --- Scheduled crawls: incremental state, crash-safe output, limits (issue 4) --------------------------------
# Crawl state (docs/scheduling.md): off unless RFI_STATE_DIR (this setting or the environment variable) names a
# folder. Then a run emits only articles it never emitted, or whose content changed, skips article pages it has
# already emitted, asks feeds only for what changed since the last run, and refuses to run while another run of
# the same spider holds the state.
RFI_STATE_DIR = None
EXTENSIONS["rfi_news.extensions.CrawlStateKeeper"] = 100  # opens (locks) the state first, commits it last
ITEM_PIPELINES["rfi_news.pipelines.IncrementalPipeline"] = 950  # after the deduplication: only valid, unique records
DOWNLOADER_MIDDLEWARES = globals().get("DOWNLOADER_MIDDLEWARES", {})  # merged with any block above
DOWNLOADER_MIDDLEWARES["rfi_news.middlewares.KnownArticleMiddleware"] = 25  # first: before offsite, robots.txt

# Output: one file per run, <RFI_OUTPUT_DIR>/<spider>/<start time>.jsonl (RFI_OUTPUT_DIR is an environment
# variable, default ./output), written under a temporary name and renamed into place when the run ends; a run
# that emits nothing writes no file. -O / -o on the command line replace this default, with the same safe storage.
RFI_OUTPUT_DIR = os.environ.get("RFI_OUTPUT_DIR", "output")
FEEDS = {
    f"{RFI_OUTPUT_DIR}/%(name)s/%(time)s.jsonl": {"format": "jsonlines", "store_empty": False},
}
FEED_STORAGES = {
    "": "rfi_news.feedstorage.AtomicFileFeedStorage",
    "file": "rfi_news.feedstorage.AtomicFileFeedStorage",
}

# An unattended run never hangs or grows without bound: both close the spider gracefully, so the output and the
# state of what was done are kept (and a JOBDIR run resumes). Raise them, or set 0, for a long backfill.
CLOSESPIDER_TIMEOUT = 3600
MEMUSAGE_LIMIT_MB = 1024
# The archive spider reads its files in batches of this many (one queued request each; see spiders/archive.py).
ARCHIVE_BATCH_FILES = 100
