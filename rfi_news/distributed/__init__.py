"""Several workers share one crawl through Redis (scrapy-redis), exactly once: off unless ``RFI_REDIS_URL``.

``RFI_REDIS_URL`` (a setting, or the environment variable of that name) switches the mode on for every spider:

- :mod:`~rfi_news.distributed.scheduler`: the ``rfi`` spider's frontier (request queue and seen-requests filter)
  is scrapy-redis's, shared by every worker, with requests stored as JSON (never pickled);
- :mod:`~rfi_news.distributed.worker`: each worker registers in Redis with a heartbeat, says whether it is busy,
  and ends by itself once the shared queue is empty and no other worker is busy;
- :mod:`~rfi_news.distributed.state`: the crawl state (articles emitted, feed validators) lives in Redis, with
  per-worker claims and pending sets so that an article counts as emitted only once its worker's output is
  published;
- :mod:`~rfi_news.distributed.politeness`: per-host delay, concurrency, ``Retry-After`` and the 403 block are
  held in Redis for the whole crawl, not per worker.

Without ``RFI_REDIS_URL`` nothing here is built (every component raises ``NotConfigured``) and the single-machine
mode (SQLite state under ``RFI_STATE_DIR``) is exactly as before. See docs/distributed.md.
"""

from rfi_news.distributed.connection import REDIS_URL_SETTING, redis_url_of

__all__ = ["REDIS_URL_SETTING", "redis_url_of"]
