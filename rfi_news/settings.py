"""rfi-news settings: one module, polite defaults; override with ``-s NAME=VALUE`` or Scrapyd's settings."""

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
