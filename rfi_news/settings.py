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

# --- rfi.fr spider, sitemaps, feed + page, a site that pushes back (issue 3) ---------------------------------
# The origin that stands for https://www.rfi.fr when fetching: a local server in tests
# (-s RFI_ORIGIN=http://127.0.0.1:8123). Records always keep the canonical https://www.rfi.fr/… url.
RFI_ORIGIN = "https://www.rfi.fr"
# The listing pages `scrapy crawl rfi` starts from, per edition (-a edition=tw); -a listings=… replaces them.
# The /tw/ section names are those Taiwanese crawlers used; none of them was seen on a saved /tw/ page.
RFI_LISTINGS = {
    "cn": [
        "/cn/",
        "/cn/中国/",
        "/cn/法国/",
        "/cn/港澳台/",
        "/cn/亚洲/",
        "/cn/非洲/",
        "/cn/美洲/",
        "/cn/欧洲/",
        "/cn/中东/",
        "/cn/国际/",
        "/cn/滚动新闻/",
    ],
    "tw": [
        "/tw/",
        "/tw/中國/",
        "/tw/法國/",
        "/tw/港澳台/",
        "/tw/亞洲/",
        "/tw/非洲/",
        "/tw/美洲/",
        "/tw/歐洲/",
        "/tw/中東/",
        "/tw/國際/",
    ],
}
RFI_COLUMN_SECTION = {"cn": "专栏检索", "tw": "專欄檢索"}  # -a columns=要闻分析,… (the /tw/ name is a guess)
RFI_PAGES = 2  # listing pages read per listing (-a pages=N)
RFI_RSS_PATHS = {"cn": ["/cn/rss"], "tw": ["/tw/rss"]}  # -a rss=1
RFI_NEWS_SITEMAP = "/sitemaps/{edition}/news.xml"  # -a sitemap=news
RFI_SITEMAP_INDEX = "/sitemaps/{edition}/index.xml"  # -a month=YYYY-MM reads its contents_YYYYMM.xml

# 429 and 503 are retried after the wait their Retry-After asks, up to RETRY_AFTER_MAX seconds; a longer wait
# is not retried. 403 is never retried: after BLOCKED_AFTER 403s in a row a host gets no more requests.
RETRY_AFTER_CODES = [429, 503]
RETRY_AFTER_MAX = 120
BLOCKED_AFTER = 5
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "rfi_news.middlewares.RetryAfterMiddleware": 550,  # in Scrapy's RetryMiddleware's place
    "rfi_news.middlewares.BlockedSiteMiddleware": 560,  # sees each answer before the retry does
}
