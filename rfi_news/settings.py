"""rfi-news settings: one module, polite defaults; override with ``-s NAME=VALUE`` or Scrapyd's settings."""

from rfi_news import __version__
from rfi_news.items import RECORD_FIELDS
from rfi_news.schemas import article_schema

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
# The feedx feed first, then its mirrors; the next is tried only when one fails. The mirrors are the domains
# feedx's own footer has named over the years (feedx.top, feedx.run; also feedx.xyz, feedx.best), with
# feedx.net's path assumed: no copy of their feeds could be checked from here.
FEEDX_URLS = [
    "https://feedx.net/rss/rfi.xml",
    "https://feedx.top/rss/rfi.xml",
    "https://feedx.run/rss/rfi.xml",
]

# --- Items and output -------------------------------------------------------------------------------------
# One entry: the record's one-concern pipelines below, called by Scrapy as one (rfi_news/pipelines/record.py).
ITEM_PIPELINES = {
    "rfi_news.pipelines.RecordPipeline": 100,
}
# The order matters, and every pipeline of the project is here: each one's comment says what it needs before it.
# Scrapy's ITEM_PIPELINES format (None leaves one out); each still counts under rfi_news/<concern>/… .
RFI_RECORD_PIPELINES = {
    "rfi_news.pipelines.UrlPipeline": 100,  # canonical url; section, column, language from it
    "rfi_news.pipelines.TitlePipeline": 200,  # needs the column
    "rfi_news.pipelines.TimestampsPipeline": 300,
    "rfi_news.pipelines.LeadPipeline": 400,
    "rfi_news.pipelines.ParagraphsPipeline": 500,  # needs the normalised lead
    "rfi_news.pipelines.LabelsPipeline": 600,
    "rfi_news.pipelines.ImagePipeline": 650,  # needs the canonical url (a relative image is resolved against it)
    "rfi_news.pipelines.ValidationPipeline": 800,  # after every normaliser
    "rfi_news.pipelines.SchemaValidationPipeline": 850,  # after the validation, before a record claims its url
    "rfi_news.pipelines.DeduplicationPipeline": 900,  # only valid records claim a url
    "rfi_news.pipelines.IncrementalPipeline": 950,  # state on only: after the deduplication, only valid, unique records
    "rfi_news.distributed.pipelines.ClaimPipeline": 960,  # RFI_REDIS_URL only: last, the worker claims what it emits
}
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = list(RECORD_FIELDS)
FEED_EXPORT_INDENT = None
# CSV (-o out.csv): a list field is one cell, one entry per line; JSON Lines: Scrapy's exporter, reading the
# record's fields without an ItemAdapter (both rfi_news/exporters.py).
FEED_EXPORTERS = {
    "csv": "rfi_news.exporters.CsvRecordExporter",
    "jsonlines": "rfi_news.exporters.JsonLinesExporter",
    "jsonl": "rfi_news.exporters.JsonLinesExporter",
    "jl": "rfi_news.exporters.JsonLinesExporter",
}
LOG_FORMATTER = "rfi_news.logformatter.RecordLogFormatter"
# Scrapy's in-memory stats without Scrapy 2.19's per-attribute deprecation shim (rfi_news/stats.py).
STATS_CLASS = "rfi_news.stats.RunStatsCollector"
# Scrapy's check that a generator callback returns no value re-reads and parses the callback's source for every
# response (its cache is keyed by the bound method, a new object per request): 1,000 parses of read_batch in an
# archive run of 100,000 files. tests/test_stats_and_coverage.py runs the same check over every spider's callbacks.
WARN_ON_GENERATOR_RETURN_VALUE = False
LOG_LEVEL = "INFO"

# --- Engine -----------------------------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Scrapy's remote-control server runs code sent to it: nothing an unattended crawler should listen for.
REMOTE_CONTROL_ENABLED = False

EXTENSIONS = {
    "rfi_news.distributed.extension.DistributedWorker": 50,  # RFI_REDIS_URL only: joins before the state opens
    # Scrapy's feed exporter, publishing local files in checkpoints and in step with the state (feedstorage.py);
    # in Scrapy's place (0): before the monitors, which then see what was really published.
    "scrapy.extensions.feedexport.FeedExporter": None,
    "rfi_news.feedstorage.CheckpointFeedExporter": 0,
    "rfi_news.extensions.CrawlStateKeeper": 100,  # state on only: opens (locks, checks, recovers) it, commits it last
    "rfi_news.jobdir.JobdirGuard": 110,  # JOBDIR only: a job a killed run left is restarted (or refused), not resumed
    # Spidermon, counting field coverage in one cheap pass (rfi_news/coverage.py); before StatsFile, so the stats
    # file has the verdict
    "rfi_news.coverage.FieldCoverageSpidermon": 500,
    "rfi_news.extensions.StatsFile": 900,  # on only when STATS_FILE names a file
    "rfi_news.extensions.HealthSummary": 910,
    "rfi_news.progress.Progress": 920,  # done / total, rate, ETA every RFI_PROGRESS_INTERVAL seconds
    "rfi_news.heap.CollectorTuning": 950,  # the heap the crawl starts with frozen; see RFI_GC_YOUNG_THRESHOLD
}
# Allocations between two collections of the youngest generation during a crawl (Python's default: 700); 0 leaves
# the collector as Python sets it. rfi_news/heap.py says what was measured.
RFI_GC_YOUNG_THRESHOLD = 25_000
RFI_PROGRESS_INTERVAL = 60  # seconds; 0 switches the progress lines off
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
    "rfi_news.middlewares.KnownArticleMiddleware": 25,  # state on only; first: before offsite, robots.txt
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "rfi_news.robotstxt.QuietRobotsTxtMiddleware": 100,  # Scrapy's, in its place: a failed fetch is one line
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "rfi_news.middlewares.RetryAfterMiddleware": 550,  # in Scrapy's RetryMiddleware's place
    "rfi_news.middlewares.BlockedSiteMiddleware": 560,  # sees each answer before the retry does
    # Scrapy's redirect middlewares in their places, refusing (WARNING, counted) redirects off allowed_domains.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "rfi_news.middlewares.AllowedHostsMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "rfi_news.middlewares.AllowedHostsRedirectMiddleware": 600,
    # RFI_REDIS_URL only: after HttpCacheMiddleware (a cached answer needs no slot on the host), before the WARC
    # capture (which records the request as it is sent, after the wait).
    "rfi_news.distributed.politeness.SharedPolitenessMiddleware": 940,
    # RFI_WARC_DIR on only; last before the download handler (after HttpCacheMiddleware's 900): it sees each request
    # as sent and each answer as received, before the redirect, retry and decompression middlewares act on it.
    "rfi_news.warc.capture.WarcCaptureMiddleware": 950,
}
# What escapes a callback costs that response only: one WARNING and rfi_news/<kind>/invalid/<reason> (guard.py).
SPIDER_MIDDLEWARES = {
    "rfi_news.guard.RecordBoundaryMiddleware": 25,  # after HttpErrorMiddleware (50) declined the exception
}

# --- Bounded resources (issue 9): what one hostile answer may cost (docs/limits.md says why each is what it is).
# The largest real answers: an article page 0.55 MB and a home page 0.77 MB (pretty-printed, tests/fixtures/rfi),
# the full-text feed well under 1 MB. Past DOWNLOAD_WARNSIZE Scrapy logs a WARNING; past DOWNLOAD_MAXSIZE it
# cancels the download (the request fails, is logged and counted; a feed then tries its next mirror). The same
# bound holds for the size once decompressed (HttpCompressionMiddleware, and the sitemap reader's gunzip), so a
# gzip bomb stops at DOWNLOAD_MAXSIZE of output. Scrapy's defaults are 1 GiB and 32 MiB.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# The memory check runs every MEMUSAGE_CHECK_INTERVAL_SECONDS (Scrapy's default, 60 s, lets a runaway grow for a
# minute before MEMUSAGE_LIMIT_MB is looked at); a check is one getrusage() call.
MEMUSAGE_CHECK_INTERVAL_SECONDS = 2.0
# An archive file larger than this is no archived feed item (the largest real one is 17 KB): skipped and counted
# (rfi_news/archive/invalid/too_large) without being read into memory.
ARCHIVE_MAX_FILE_BYTES = 8 * 1024 * 1024

# WARC captures (docs/warc.md): off unless RFI_WARC_DIR (this setting or the environment variable) names a folder.
# Then every HTTP exchange is kept there as WARC 1.1, in files rolled at RFI_WARC_MAX_SIZE bytes (the IIPC's usual
# 1 GB), each published whole (renamed into place) when full and when the run ends.
RFI_WARC_DIR = None
RFI_WARC_MAX_SIZE = 1_000_000_000

# --- Run health: validation and monitors (issue 6) ---------------------------------------------------------
# Every run checks itself when its spider closes (docs/monitoring.md): rfi_news.monitors.RunHealthSuite, run by
# Spidermon. A failed check makes `scrapy crawl` exit 3 (rfi_news/commands/crawl.py), writes
# `<output>.report.json` beside a local -o/-O output (or RFI_REPORT_FILE) and ends the log with the verdict.
COMMANDS_MODULE = "rfi_news.commands"
# `scrapy check`: the callbacks' contracts run on the bundled fixtures (@fixture PATH [ARTICLE_URL]).
SPIDER_CONTRACTS = {"rfi_news.contracts.FixtureContract": 10}
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["rfi_news.monitors.RunHealthSuite"]
SPIDERMON_VALIDATION_SCHEMAS = [article_schema()]
SPIDERMON_VALIDATION_DROP_ITEMS_WITH_ERRORS = True  # a record that breaks the output contract is never written
SPIDERMON_ADD_FIELD_COVERAGE = True
SPIDERMON_FIELD_COVERAGE_SKIP_NONE = True  # a field counts when it is neither null nor empty ([] included)
RFI_REPORT_FILE = None  # a path for the report; by default it goes beside the first local output file

# Thresholds, chosen on the real items (tests/fixtures/archive) and explained in docs/monitoring.md.
SPIDERMON_MIN_ITEMS = 1
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
SPIDERMON_MAX_ERRORS = 0
# A request that used up its retries is handled (its errback tries the next mirror; a lost page shows in the
# records, layout and blocked-answer checks), so Scrapy's "Gave up retrying" is a warning here, and an ERROR in
# the log always means something the code did not handle.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
SPIDERMON_MAX_ITEM_VALIDATION_ERRORS = 0
SPIDERMON_FIELD_COVERAGE_RULES = {
    "ArticleItem/published": 0.9,  # every real item has its date line
    "ArticleItem/paragraphs": 0.9,  # every real item has body text
    "ArticleItem/image": 0.2,  # 47% of the 2021 items (AFP wire copy) have one; 81% overall
    "ArticleItem/lead": 0.05,  # AFP wire copy has none: 20% of the 2021 items have one, 56% overall
}
RFI_MONITOR_MIN_SAMPLE = 10  # fewer records (or parts looked for) than this: coverage and layout are not judged
RFI_MONITOR_MAX_BLOCKED_SHARE = 0.25
RFI_MONITOR_MAX_LAYOUT_MISS_SHARE = 0.2
# Article pages lost for good (after retries), and a feed's items unread (a feed broken mid-way): at most 20%
# (the fixture site loses 2 of 12 pages to a 403 and a 404, and is healthy; losing 4 of 11 is not).
RFI_MONITOR_MAX_LOST_PAGE_SHARE = 0.2
# Spidermon actions run when a check failed (pip install 'rfi-news[alerts]'; docs/monitoring.md), e.g.
# ["spidermon.contrib.actions.slack.notifiers.SendSlackMessageSpiderFinished"] with SPIDERMON_SLACK_* settings.
RFI_ALERT_ACTIONS: list[str] = []
# --- Scheduled crawls: incremental state, crash-safe output, limits (issue 4) --------------------------------
# Crawl state (docs/scheduling.md): off unless RFI_STATE_DIR (this setting or the environment variable) names a
# folder. Then a run emits only articles it never emitted, or whose content changed, skips article pages it has
# already emitted, asks feeds only for what changed since the last run, and refuses to run while another run of
# the same spider holds the state.
RFI_STATE_DIR = None
# Another state backend (a class path, implementing rfi_news.state.CrawlStateBackend) in place of the SQLite file.
RFI_STATE_BACKEND = None

# Output: a run given no -o/-O writes one file of its own, <RFI_OUTPUT_DIR>/<spider>/<start time>.jsonl
# (rfi_news.addons.DefaultOutput; RFI_OUTPUT_DIR is this setting or the environment variable, default ./output).
# Every local file is written under a temporary name and renamed into place when the run ends.
RFI_OUTPUT_DIR = None
# Checkpoints: an output whose name has a part number (the default per-run output does) is published every
# RFI_CHECKPOINT_ITEMS records or RFI_CHECKPOINT_SECONDS seconds, whichever comes first (0: off), with the state
# of what it holds; a killed run loses at most what came after the last one, and its next run emits that.
RFI_CHECKPOINT_ITEMS = 500
RFI_CHECKPOINT_SECONDS = 300
ADDONS = {"rfi_news.addons.DefaultOutput": 0}
RFI_DEFAULT_OUTPUT = True  # the one-off commands (fetch, parse, shell, bench…) set it False: no file of their own
FEED_STORAGES = {
    "": "rfi_news.feedstorage.AtomicFileFeedStorage",
    "file": "rfi_news.feedstorage.AtomicFileFeedStorage",
}

# An unattended run never hangs or grows without bound: both close the spider gracefully, so the output and the
# state of what was done are kept (and a JOBDIR run resumes). Raise them, or set 0, for a long backfill.
CLOSESPIDER_TIMEOUT = 3600
MEMUSAGE_LIMIT_MB = 1024
# --- Distributed mode: several workers share one crawl through Redis (docs/distributed.md) -------------------
# Off unless RFI_REDIS_URL (this setting or the environment variable), e.g. redis://:PASSWORD@10.0.0.5:6379/0,
# names a Redis server. Then the rfi spider's frontier, every spider's crawl state and the per-host politeness
# live there (rfi_news/distributed/). Keys are under RFI_REDIS_PREFIX.
RFI_REDIS_URL = None
RFI_REDIS_PREFIX = "rfi_news"
RFI_REDIS_HEARTBEAT = 5.0  # seconds between a worker's heartbeats
RFI_REDIS_WORKER_TTL = 30.0  # a worker not heard of for this long is gone (killed): its claims can be taken
RFI_REDIS_POLITENESS = True  # per-host delay, concurrency, Retry-After and 403 block for the whole crawl
RFI_REDIS_BLOCK_SECONDS = 3600  # how long a host that refused BLOCKED_AFTER requests in a row stays blocked

# The archive spider reads its files in batches of this many (one queued request each; see spiders/archive.py).
ARCHIVE_BATCH_FILES = 100
